//! Rust sources read just well enough to measure them: comments and string contents blanked,
//! braces matched, `#[cfg(test)]` modules set aside, module paths and the paths between them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A crate's source files.
pub struct Crate {
    pub name: String,
    pub dir: std::path::PathBuf,
    pub files: Vec<SourceFile>,
}

impl Crate {
    pub fn read(dir: &Path) -> Self {
        let mut files = Vec::new();
        collect(&dir.join("src"), &mut files);
        files.sort();
        let root = dir.parent().and_then(Path::parent).unwrap_or(dir);
        Self {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            dir: dir.to_path_buf(),
            files: files
                .iter()
                .map(|p| {
                    let relative = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                    SourceFile::parse(&relative, &std::fs::read_to_string(p).unwrap())
                })
                .collect(),
        }
    }

    /// Which module uses which, by module path (`case::store`); the crate root is `crate`.
    /// A name re-exported by a module (`pub use error::Error;` in lib.rs) counts as a use of
    /// the module that defines it, not of the one that re-exports it.
    pub fn imports(&self) -> BTreeMap<String, BTreeSet<String>> {
        let modules: BTreeSet<String> = self.files.iter().map(|f| f.module.clone()).collect();
        let mut reexports: BTreeMap<(String, String), String> = BTreeMap::new();
        for file in &self.files {
            for path in file.reexports() {
                let name = path.last().cloned().unwrap_or_default();
                if let Some(target) = resolve(&file.module, &path, &modules, &BTreeMap::new())
                    && target != file.module
                {
                    reexports.insert((file.module.clone(), name), target);
                }
            }
        }
        let mut graph = BTreeMap::new();
        for file in &self.files {
            let mut used = BTreeSet::new();
            for path in file.paths() {
                if file.reexports().contains(&path) {
                    continue;
                }
                if let Some(target) = resolve(&file.module, &path, &modules, &reexports)
                    && target != file.module
                {
                    used.insert(target);
                }
            }
            graph.insert(file.module.clone(), used);
        }
        graph
    }
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a path written in `module` names: the longest prefix that is a module, found
/// from the crate root (`crate::`), the parent (`super::`), the module itself (`self::`, or a
/// bare path starting with one of its children).
fn resolve(
    module: &str,
    path: &[String],
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<(String, String), String>,
) -> Option<String> {
    let mut base: Vec<String> = if module == "crate" {
        Vec::new()
    } else {
        module.split("::").map(str::to_owned).collect()
    };
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &path[1..];
        }
        Some("self") => rest = &path[1..],
        Some("super") => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => {}
    }
    let mut best = None;
    let mut current = base.clone();
    if !matches!(
        path.first().map(String::as_str),
        Some("crate" | "self" | "super")
    ) {
        // A bare path names a module only when its first segment is a child module here.
        let child = [base.clone(), vec![path[0].clone()]].concat().join("::");
        if !modules.contains(&child) {
            return None;
        }
    } else {
        best = Some(if base.is_empty() {
            "crate".to_owned()
        } else {
            base.join("::")
        });
    }
    for segment in rest {
        current.push(segment.clone());
        let candidate = current.join("::");
        if modules.contains(&candidate) {
            best = Some(candidate);
        } else {
            let found = best
                .as_ref()
                .and_then(|m| reexports.get(&(m.clone(), segment.clone())));
            if let Some(target) = found {
                best = Some(target.clone());
            }
            break;
        }
    }
    best
}

/// The circles in a graph of modules, each once (strongly connected components of more than
/// one module).
pub fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Kosaraju: order by finish time, then walk the reversed graph.
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    for start in graph.keys() {
        finish(graph, start, &mut seen, &mut order);
    }
    let mut reversed: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, tos) in graph {
        for to in tos {
            reversed.entry(to.as_str()).or_default().push(from.as_str());
        }
    }
    let mut assigned = BTreeSet::new();
    let mut found = Vec::new();
    for start in order.iter().rev() {
        if assigned.contains(start.as_str()) {
            continue;
        }
        let mut component = Vec::new();
        let mut stack = vec![start.as_str()];
        while let Some(node) = stack.pop() {
            if !assigned.insert(node.to_owned()) {
                continue;
            }
            component.push(node.to_owned());
            stack.extend(reversed.get(node).into_iter().flatten());
        }
        if component.len() > 1 {
            component.sort();
            found.push(component);
        }
    }
    found
}

fn finish(
    graph: &BTreeMap<String, BTreeSet<String>>,
    node: &str,
    seen: &mut BTreeSet<String>,
    order: &mut Vec<String>,
) {
    if !seen.insert(node.to_owned()) {
        return;
    }
    for next in graph.get(node).into_iter().flatten() {
        finish(graph, next, seen, order);
    }
    order.push(node.to_owned());
}

/// A function and where it starts.
pub struct Function {
    pub name: String,
    pub line: usize,
    pub lines: usize,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceFile {
    pub relative: String,
    /// The module path (`case::store`), `crate` for the crate root.
    pub module: String,
    pub lines: usize,
    /// The text with comments blanked and string contents replaced by spaces, line for line;
    /// `#[cfg(test)]` modules blanked too.
    code: Vec<String>,
    /// The string literals, with the line they start on.
    strings: Vec<(usize, String)>,
}

impl SourceFile {
    pub fn parse(relative: &str, text: &str) -> Self {
        let (code, strings) = blank(text);
        let code = without_tests(code);
        Self {
            relative: relative.to_owned(),
            module: module_of(relative),
            lines: text.lines().count(),
            code,
            strings,
        }
    }

    /// Functions with a body, outside test modules, with their length in lines.
    pub fn functions(&self) -> Vec<Function> {
        let mut found = Vec::new();
        for (n, line) in self.code.iter().enumerate() {
            let Some(name) = fn_name(line) else { continue };
            let mut depth = 0i32;
            let mut opened = false;
            'scan: for (m, text) in self.code.iter().enumerate().skip(n) {
                for ch in text.chars() {
                    match ch {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        ';' if !opened && depth == 0 => break 'scan,
                        _ => {}
                    }
                    if opened && depth == 0 {
                        found.push(Function {
                            name: name.clone(),
                            line: n + 1,
                            lines: m - n + 1,
                        });
                        break 'scan;
                    }
                }
            }
        }
        found
    }

    /// Every path naming something of this crate (`crate::a::b`, `super::x`, `self::y`, or a
    /// bare `child::z`), as segments, from `use` trees and from the code.
    pub fn paths(&self) -> Vec<Vec<String>> {
        let code = self.code.join("\n");
        let mut paths = Vec::new();
        let mut rest = code.as_str();
        let mut outside_use = String::new();
        while let Some(at) = find_word(rest, "use") {
            outside_use.push_str(&rest[..at]);
            let after = &rest[at + 3..];
            let end = after.find(';').unwrap_or(after.len());
            use_tree(&after[..end], &mut Vec::new(), &mut paths);
            rest = &after[(end + 1).min(after.len())..];
        }
        outside_use.push_str(rest);
        let chars: Vec<char> = outside_use.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let starts = (chars[i].is_alphabetic() || chars[i] == '_')
                && (i == 0
                    || !(chars[i - 1].is_alphanumeric()
                        || chars[i - 1] == '_'
                        || chars[i - 1] == ':'));
            if !starts {
                i += 1;
                continue;
            }
            let mut segments = Vec::new();
            let mut j = i;
            loop {
                let begin = j;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                segments.push(chars[begin..j].iter().collect::<String>());
                if j + 2 < chars.len()
                    && chars[j] == ':'
                    && chars[j + 1] == ':'
                    && (chars[j + 2].is_alphabetic() || chars[j + 2] == '_')
                {
                    j += 2;
                } else {
                    break;
                }
            }
            if segments.len() > 1 {
                paths.push(segments);
            }
            i = j.max(i + 1);
        }
        paths
    }

    /// The paths a module re-exports (`pub use a::B;`), each whole.
    pub fn reexports(&self) -> Vec<Vec<String>> {
        let code = self.code.join("\n");
        let mut paths = Vec::new();
        let mut rest = code.as_str();
        while let Some(at) = find_word(rest, "use") {
            let before = rest[..at].trim_end();
            let after = &rest[at + 3..];
            let end = after.find(';').unwrap_or(after.len());
            if before.ends_with("pub") || before.ends_with(')') && before.contains("pub(") {
                use_tree(&after[..end], &mut Vec::new(), &mut paths);
            }
            rest = &after[(end + 1).min(after.len())..];
        }
        paths
    }

    /// String literals that compare or set one of `columns` to a literal, e.g.
    /// `status = 'accepted'`, `state in ('open', ...)`.
    pub fn sql_literals(&self, columns: &[&str]) -> Vec<(usize, String)> {
        let mut found = Vec::new();
        for (line, literal) in &self.strings {
            let lower = literal.to_lowercase();
            for column in columns {
                let mut from = 0;
                while let Some(at) = lower[from..].find(column) {
                    let start = from + at;
                    from = start + column.len();
                    let before = lower[..start].chars().last();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let after = lower[from..].trim_start();
                    let compared = ["=", "<>", "!=", "in ("]
                        .iter()
                        .find_map(|op| after.strip_prefix(op));
                    if compared.is_some_and(|rest| rest.trim_start().starts_with('\'')) {
                        let snippet: String = literal[start..].chars().take(40).collect();
                        found.push((*line, snippet));
                    }
                }
            }
        }
        found
    }
}

fn module_of(relative: &str) -> String {
    let src = relative
        .find("/src/")
        .map_or(relative, |at| &relative[at + 5..]);
    let path = src.trim_end_matches(".rs");
    let path = path.trim_end_matches("/mod");
    if path == "lib" || path == "main" {
        return "crate".to_owned();
    }
    path.replace('/', "::")
}

fn fn_name(line: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "fn")?;
    let before_ok = words[..at].iter().all(|w| {
        matches!(
            *w,
            "pub" | "async" | "const" | "unsafe" | "extern" | "default"
        ) || w.starts_with("pub(")
    });
    if !before_ok {
        return None;
    }
    let name: String = words
        .get(at + 1)?
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

fn find_word(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].find(word) {
        let start = from + at;
        let end = start + word.len();
        let before =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let after = end < bytes.len() && bytes[end].is_ascii_whitespace();
        if before && after {
            return Some(start);
        }
        from = end;
    }
    None
}

/// The paths of a `use` tree (`crate::a::{b, c::{d, e}}`), each whole.
fn use_tree(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let close = tree.rfind('}').unwrap_or(tree.len());
        let inner = &tree[open + 1..close];
        let depth_before = prefix.len();
        prefix.extend(head);
        let mut depth = 0;
        let mut start = 0;
        for (i, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    use_tree(&inner[start..i], prefix, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        use_tree(&inner[start..], prefix, out);
        prefix.truncate(depth_before);
    } else if !tree.is_empty() {
        let tree = tree.split(" as ").next().unwrap_or(tree);
        let mut path = prefix.clone();
        path.extend(
            tree.split("::")
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty() && s != "*"),
        );
        if path.len() > 1 {
            out.push(path);
        }
    }
}

/// Blanks comments and the contents of string and char literals (keeping lines), and returns
/// the string literals apart with the line each starts on.
fn blank(text: &str) -> (Vec<String>, Vec<(usize, String)>) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut strings = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                    continue;
                }
                if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                    continue;
                }
                if chars[i] == '\n' {
                    out.push('\n');
                    line += 1;
                }
                i += 1;
            }
            continue;
        }
        // Raw strings: r"..", r#".."#, and byte or C variants.
        let raw_at = if c == 'r' {
            Some(i)
        } else if (c == 'b' || c == 'c') && next == Some('r') {
            Some(i + 1)
        } else {
            None
        };
        let word_start = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if let (Some(r), true) = (raw_at, word_start) {
            let mut j = r + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) == Some(&'"') {
                let start_line = line;
                let mut literal = String::new();
                out.extend(&chars[i..=j]);
                j += 1;
                loop {
                    if j >= chars.len() {
                        break;
                    }
                    if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                        out.push('"');
                        out.extend(std::iter::repeat_n('#', hashes));
                        j += 1 + hashes;
                        break;
                    }
                    if chars[j] == '\n' {
                        out.push('\n');
                        line += 1;
                    } else {
                        out.push(' ');
                    }
                    literal.push(chars[j]);
                    j += 1;
                }
                strings.push((start_line, literal));
                i = j;
                continue;
            }
        }
        if c == '"' {
            let start_line = line;
            let mut literal = String::new();
            out.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    literal.push(chars[i]);
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    if chars[i] == '\n' {
                        out.push('\n');
                        line += 1;
                    } else {
                        out.push(' ');
                    }
                    literal.push(chars[i]);
                    i += 1;
                }
            }
            out.push('"');
            strings.push((start_line, literal));
            i += 1;
            continue;
        }
        if c == '\'' {
            // A char literal ('x', '\n', '\''), not a lifetime ('a).
            let close = if next == Some('\\') {
                (i + 2..chars.len().min(i + 12)).find(|&k| chars[k] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            if let Some(close) = close {
                out.push_str("' '");
                i = close + 1;
                continue;
            }
        }
        if c == '\n' {
            line += 1;
        }
        out.push(c);
        i += 1;
    }
    (out.split('\n').map(str::to_owned).collect(), strings)
}

/// Blanks every `#[cfg(test)]` item (a test module, a test-only function).
fn without_tests(mut code: Vec<String>) -> Vec<String> {
    let mut n = 0;
    while n < code.len() {
        if code[n].trim_start().starts_with("#[cfg(test)]") {
            let mut depth = 0i32;
            let mut opened = false;
            let mut m = n;
            while m < code.len() {
                let mut ended = false;
                for ch in code[m].chars() {
                    match ch {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        ';' if !opened => ended = true,
                        _ => {}
                    }
                }
                code[m].clear();
                if ended || (opened && depth == 0) {
                    break;
                }
                m += 1;
            }
            n = m;
        }
        n += 1;
    }
    code
}
