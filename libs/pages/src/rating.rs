//! A rating's five levels (好差评, 国办发〔2019〕51号), best first: what the online hall's rating
//! pages and the console's rating device offer, in this order, and all they accept.

pub const LEVELS: [&str; 5] = [
    "very_satisfied",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "very_dissatisfied",
];
