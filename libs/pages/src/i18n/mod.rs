//! Words in two languages: each site keeps its message catalogues (zh-CN first, en; one
//! `key = text` per line, built into its binary) and parses them once into [`Words`];
//! templates never hold a sentence of their own, they ask [`T`] for it by key. [`check`] is
//! what a site's tests use to prove that every key its templates and code name is in both
//! catalogues, so a missing word fails the build's tests, not a person's page.

pub mod check;
mod words;

pub use words::{Lang, T, Words};
