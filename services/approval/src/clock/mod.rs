//! The statutory clock of a work item (限时办结): working days of the handling centre's
//! calendar, pauses (行政许可法 Art. 45), extensions (Art. 42), the yellow warning and the red
//! escalation. It reads and writes work items through [`crate::work_item::store`]; a work item
//! knows of the clock only its rules and its pauses.
//!
//! - [`rules`]: due dates, paused days, the warning day, the statute's limits (pure).
//! - [`store`]: the pauses, and the clock's columns of a work item (the due date recomputed
//!   from them, the days of extension, the warning and escalation raised).
//! - [`pause`] (pause and resume), [`extend`], [`recalculate`] (a calendar change): use cases.
//! - [`timers`]: the sweeps raising warnings and escalations.
//! - [`http`]: the routes.

pub mod extend;
pub mod http;
pub mod pause;
pub mod recalculate;
pub mod rules;
pub mod store;
pub mod timers;
