//! The rules a version must keep before it is stored.

use std::collections::BTreeSet;

use tongban_kernel::{Error, ImplementationCode, MaterialCode, Role, TimeUnit};

use super::{CodeLists, ItemKind, ItemSpec, Material, MaterialSource, Venue};

/// A required text of at most `max` characters (after trimming).
pub(crate) fn text(field: impl Into<String>, value: &str, max: usize) -> Result<(), Error> {
    let chars = value.trim().chars().count();
    if chars == 0 || chars > max {
        return Err(Error::bad_request(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(())
}

/// A telephone number as halls print it: digits with `-`, spaces or brackets, 3-30 characters
/// (0737-4222345, 12345, (0737) 422 2345).
fn phone(field: &str, value: &str) -> Result<(), Error> {
    let value = value.trim();
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if !(3..=30).contains(&value.chars().count())
        || digits < 3
        || !value
            .chars()
            .all(|c| c.is_ascii_digit() || " -()".contains(c))
    {
        return Err(Error::bad_request(
            field,
            "a telephone number: digits, with -, spaces or brackets (3-30 characters)",
        ));
    }
    Ok(())
}

/// Aliases: at most 10, each 1-50 characters.
pub fn check_aliases(field: &str, aliases: &[String]) -> Result<(), Error> {
    if aliases.len() > 10 {
        return Err(Error::bad_request(field, "at most 10 aliases"));
    }
    for (n, alias) in aliases.iter().enumerate() {
        text(format!("{field}[{n}]"), alias, 50)?;
    }
    Ok(())
}

impl Venue {
    /// An address and hours in words, and numbers that can be dialled; `at` prefixes the
    /// field names in errors.
    fn check(&self, at: &str) -> Result<(), Error> {
        text(format!("{at}.address"), &self.address, 200)?;
        text(format!("{at}.opening_hours"), &self.opening_hours, 200)?;
        phone(
            &format!("{at}.consultation_phone"),
            &self.consultation_phone,
        )?;
        if let Some(complaints) = &self.complaint_phone {
            phone(&format!("{at}.complaint_phone"), complaints)?;
        }
        Ok(())
    }
}

impl ItemSpec {
    /// Checks every rule of a version; `at` prefixes the field names in errors (`spec`).
    pub fn check(&self, at: &str, lists: &CodeLists) -> Result<(), Error> {
        check_aliases(&format!("{at}.aliases"), &self.aliases)?;
        self.check_time_limits(at)?;
        text(
            format!("{at}.acceptance_conditions"),
            &self.acceptance_conditions,
            2000,
        )?;
        self.check_fee(at)?;
        if let Some(venue) = &self.venue {
            venue.check(&format!("{at}.venue"))?;
        }
        if !(1..=3).contains(&self.real_name_level) {
            return Err(Error::unprocessable(
                format!("{at}.real_name_level"),
                "must be 1, 2 or 3 (1 unverified, 2 basic real-name, 3 advanced: face or in person)",
            ));
        }
        if self.visits_required > 2 {
            return Err(Error::bad_request(
                format!("{at}.visits_required"),
                "must be 0, 1 or 2 (最多跑一次 allows at most two)",
            ));
        }
        for (list, field, code) in [
            ("online_depth", "online_depth", &self.online_depth),
            ("tongban_scope", "tongban.scope", &self.tongban.scope),
        ] {
            if !lists.has(list, code) {
                return Err(Error::unprocessable(
                    format!("{at}.{field}"),
                    format!(
                        "{code:?} is not in the {list} code list ({})",
                        lists.codes(list)
                    ),
                ));
            }
        }
        if self.tongban.covered_regions.len() > 100 {
            return Err(Error::bad_request(
                format!("{at}.tongban.covered_regions"),
                "at most 100 regions",
            ));
        }
        if lists.reach(&self.tongban.scope) == Some("listed")
            && self.tongban.covered_regions.is_empty()
        {
            return Err(Error::unprocessable(
                format!("{at}.tongban.covered_regions"),
                "this scope reaches only listed regions: name at least one",
            ));
        }
        self.check_steps(at)?;
        if self.results.is_empty() || self.results.len() > 10 {
            return Err(Error::bad_request(
                format!("{at}.results"),
                "1 to 10 results",
            ));
        }
        for (n, result) in self.results.iter().enumerate() {
            text(format!("{at}.results[{n}].name"), &result.name, 100)?;
        }
        self.check_materials(at)
    }

    /// A charged fee states its amount and basis; a free item has no amount.
    fn check_fee(&self, at: &str) -> Result<(), Error> {
        match (&self.fee.charged, self.fee.amount_fen, &self.fee.basis) {
            (true, Some(amount), Some(basis)) if amount > 0 => {
                text(format!("{at}.fee.basis"), basis, 500)?
            }
            (true, _, _) => {
                return Err(Error::bad_request(
                    format!("{at}.fee"),
                    "a charged fee needs an amount_fen above 0 and its basis",
                ));
            }
            (false, None, _) => {}
            (false, Some(_), _) => {
                return Err(Error::bad_request(
                    format!("{at}.fee.amount_fen"),
                    "a free item has no amount",
                ));
            }
        }
        Ok(())
    }

    fn check_time_limits(&self, at: &str) -> Result<(), Error> {
        let (legal, promised) = (self.legal_time_limit, self.promised_time_limit);
        match self.kind {
            ItemKind::Immediate if promised.value != 0 => {
                return Err(Error::unprocessable(
                    format!("{at}.promised_time_limit"),
                    "an immediate item (即办件) promises 0 days",
                ));
            }
            ItemKind::Promised if promised.value == 0 => {
                return Err(Error::unprocessable(
                    format!("{at}.promised_time_limit"),
                    "a promised item (承诺件) promises at least 1 day; use kind immediate otherwise",
                ));
            }
            _ => {}
        }
        if legal.value == 0 || legal.value > 365 {
            return Err(Error::bad_request(
                format!("{at}.legal_time_limit.value"),
                "must be 1 to 365",
            ));
        }
        if promised.unit == legal.unit && promised.value > legal.value {
            return Err(Error::unprocessable(
                format!("{at}.promised_time_limit"),
                format!(
                    "the promise ({}) cannot exceed the legal limit ({})",
                    promised.value, legal.value
                ),
            ));
        }
        Ok(())
    }

    fn check_steps(&self, at: &str) -> Result<(), Error> {
        if self.steps.is_empty() || self.steps.len() > 10 {
            return Err(Error::bad_request(format!("{at}.steps"), "1 to 10 steps"));
        }
        for (n, step) in self.steps.iter().enumerate() {
            text(format!("{at}.steps[{n}].name"), &step.name, 20)?;
            if !matches!(step.role, Role::WindowClerk | Role::Approver) {
                return Err(Error::unprocessable(
                    format!("{at}.steps[{n}].role"),
                    "a step is handled by a window_clerk or an approver",
                ));
            }
        }
        // The steps must fit in the promise when both count working days.
        let promised = self.promised_time_limit;
        if self.kind == ItemKind::Promised && promised.unit == TimeUnit::WorkingDays {
            let total: u32 = self
                .steps
                .iter()
                .filter(|s| s.time_limit.unit == TimeUnit::WorkingDays)
                .map(|s| s.time_limit.value)
                .sum();
            if total > promised.value {
                return Err(Error::unprocessable(
                    format!("{at}.steps"),
                    format!(
                        "the steps take {total} working days, more than the {} promised",
                        promised.value
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_materials(&self, at: &str) -> Result<(), Error> {
        if self.materials.len() > 100 {
            return Err(Error::bad_request(
                format!("{at}.materials"),
                "at most 100 materials",
            ));
        }
        let mut numbers = BTreeSet::new();
        for (n, material) in self.materials.iter().enumerate() {
            let field = |name: &str| format!("{at}.materials[{n}].{name}");
            text(field("name"), &material.name, 100)?;
            if let Some(number) = material.number {
                if !(1..=999).contains(&number) {
                    return Err(Error::bad_request(field("number"), "must be 1 to 999"));
                }
                if !numbers.insert(number) {
                    return Err(Error::unprocessable(
                        field("number"),
                        format!("{number} is used twice"),
                    ));
                }
            }
            if material.originals > 10 || material.copies > 10 {
                return Err(Error::bad_request(
                    field("copies"),
                    "at most 10 originals and 10 copies",
                ));
            }
            match (&material.source, &material.certificate_type) {
                (MaterialSource::Government, None) => {
                    return Err(Error::unprocessable(
                        field("certificate_type"),
                        "a government-issued material names its e-certificate type",
                    ));
                }
                (_, Some(kind)) => text(field("certificate_type"), kind, 50)?,
                _ => {}
            }
            if let Some(notes) = &material.notes {
                text(field("notes"), notes, 500)?;
            }
        }
        Ok(())
    }

    /// Gives every material without a number the next one free, above `highest_ever` (the
    /// largest number any earlier version used), so a number never names two materials.
    pub fn number_materials(&mut self, highest_ever: u16) -> Result<(), Error> {
        let mut next = self
            .materials
            .iter()
            .filter_map(|m| m.number)
            .chain([highest_ever])
            .max()
            .unwrap_or(0);
        for material in self.materials.iter_mut().filter(|m| m.number.is_none()) {
            next += 1;
            if next > 999 {
                return Err(Error::unprocessable(
                    "spec.materials",
                    "an item has at most 999 material numbers",
                ));
            }
            material.number = Some(next);
        }
        Ok(())
    }

    /// The materials with their 34-character codes under `item`.
    pub fn material_codes<'a>(
        &'a self,
        item: &'a ImplementationCode,
    ) -> impl Iterator<Item = (MaterialCode, &'a Material)> + 'a {
        self.materials
            .iter()
            .filter_map(move |m| Some((item.material(m.number?)?, m)))
    }
}
