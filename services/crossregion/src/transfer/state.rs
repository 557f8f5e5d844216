//! What a transfer is, as typed values, and its rules without I/O: the states and the
//! transition table, the kinds, modes and methods stored as text, who hands what to whom, and
//! the hand-over deadlines (when one is met, when one is missed and escalated).

use chrono::NaiveDate;
use tongban_kernel::TimeLimit;
use tongban_kernel::calendar::Calendar;

use tongban_kernel::text_enum;

text_enum! {
    /// Where a transfer stands.
    pub enum TransferState {
        /// Sent to the handling region, awaiting its answer.
        Sent => "sent",
        /// Taken over by the handling region, whose back office works the case.
        Accepted => "accepted",
        /// Sent back to the receiving window with the reason (a new round may follow).
        Rejected => "rejected",
        /// Concluded: the result is back for delivery.
        Returned => "returned",
        /// The result reached the applicant.
        Delivered => "delivered",
        /// The case ended before its decision (withdrawn by the applicant, or refused at the
        /// receiving window): nothing more is handed over, nobody takes it over.
        Cancelled => "cancelled",
    }
}

text_enum! {
    /// What a transfer carries.
    pub enum Kind {
        /// A case of one item.
        Item => "item",
        /// A part of a 一件事 bundle (the bundle's case is the parent).
        Part => "part",
    }
}

text_enum! {
    /// The modes in which a case leaves the region that took it in.
    pub enum Mode {
        /// 异地代收代办: collected elsewhere, handled at home.
        CollectElsewhere => "collect_elsewhere",
        /// 多地联办: several regions each handle their part.
        Joint => "joint",
    }
}

text_enum! {
    /// Why a handling region sends a transfer back.
    pub enum RejectionKind {
        /// The item is not the handling region's to decide (wrong region or department).
        NotCompetent => "not_competent",
        /// The materials forwarded are incomplete or defective.
        MaterialsDefective => "materials_defective",
    }
}

text_enum! {
    /// How a result reached the applicant (acceptance's delivery methods).
    pub enum DeliveryMethod {
        Pickup => "pickup",
        Post => "post",
        Electronic => "electronic",
    }
}

text_enum! {
    /// Paper in the post, by where it goes.
    pub enum Direction {
        /// Original materials, from the receiving window to the handling region.
        Materials => "materials",
        /// The paper result, from the handling region back to the receiving window.
        ResultToReceiving => "result_to_receiving",
        /// The result posted to the applicant (recorded from the delivery itself).
        ResultToApplicant => "result_to_applicant",
    }
}

text_enum! {
    /// Where a transfer's case is.
    pub enum Location {
        HandlingRegion => "handling_region",
        ReceivingRegion => "receiving_region",
        Applicant => "applicant",
    }
}

text_enum! {
    /// The side of a transfer in a list's filter: the region receives or handles it.
    pub enum Side {
        /// The window that took the case in (收件地).
        Receiving => "receiving",
        /// The region whose department decides it (办理地).
        Handling => "handling",
    }
}

/// What moves a transfer (or, for the postal legs, happens to it in a state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The handling region takes it over.
    Accept,
    /// The handling region sends it back.
    Reject,
    /// Approval concluded the case: the result is handed back.
    ReturnResult,
    /// Acceptance delivered the result.
    Deliver,
    /// The receiving window posts the originals.
    PostMaterials,
    /// The handling region posts the paper result back.
    PostResult,
    /// The case ended before its decision (acceptance's withdrawal or refusal).
    Cancel,
}

impl Action {
    pub const ALL: [Self; 7] = [
        Self::Accept,
        Self::Reject,
        Self::ReturnResult,
        Self::Deliver,
        Self::PostMaterials,
        Self::PostResult,
        Self::Cancel,
    ];
}

/// An action a transfer in its state does not allow (409 `illegal_transition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: TransferState,
    pub action: Action,
}

/// The transition table: the state `action` leaves a transfer in `from` in.
pub fn transition(from: TransferState, action: Action) -> Result<TransferState, IllegalTransition> {
    use Action as A;
    use TransferState as S;
    match (from, action) {
        (S::Sent, A::Accept) => Ok(S::Accepted),
        (S::Sent, A::Reject) => Ok(S::Rejected),
        (S::Accepted, A::ReturnResult) => Ok(S::Returned),
        (S::Returned, A::Deliver) => Ok(S::Delivered),
        // Originals follow the electronic hand-over, before or after the handling region
        // accepted it.
        (S::Sent | S::Accepted, A::PostMaterials) => Ok(from),
        // The paper result goes back for pickup at the receiving window.
        (S::Returned, A::PostResult) => Ok(from),
        // Only while the handling region owes something: a rejected transfer is back at the
        // window already, a returned one is decided.
        (S::Sent | S::Accepted, A::Cancel) => Ok(S::Cancelled),
        _ => Err(IllegalTransition { from, action }),
    }
}

impl TransferState {
    /// Where the case is.
    pub fn location(self) -> Location {
        match self {
            Self::Sent | Self::Accepted => Location::HandlingRegion,
            Self::Delivered => Location::Applicant,
            Self::Rejected | Self::Returned | Self::Cancelled => Location::ReceivingRegion,
        }
    }
}

impl Direction {
    /// A leg the halls post between themselves: who posts it, who receives it, and the action
    /// it is (none for a result posted to the applicant, recorded from the delivery).
    pub fn leg(self) -> Option<(Side, Side, Action)> {
        match self {
            Self::Materials => Some((Side::Receiving, Side::Handling, Action::PostMaterials)),
            Self::ResultToReceiving => Some((Side::Handling, Side::Receiving, Action::PostResult)),
            Self::ResultToApplicant => None,
        }
    }
}

/// A hand-over with a deadline: the handling region's answer, the receiving side's delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandOver {
    Response,
    Delivery,
}

impl HandOver {
    pub const ALL: [Self; 2] = [Self::Response, Self::Delivery];

    /// As the history and `HandOverOverdue` name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Response => "response",
            Self::Delivery => "delivery",
        }
    }

    /// The state a transfer awaits this hand-over in.
    pub fn awaited_in(self) -> TransferState {
        match self {
            Self::Response => TransferState::Sent,
            Self::Delivery => TransferState::Returned,
        }
    }
}

/// The deadline `days` working days after `from` in a centre's calendar.
pub fn deadline(calendar: &Calendar, from: NaiveDate, days: u32) -> Option<NaiveDate> {
    calendar
        .due(from, TimeLimit::working_days(days), &[])
        .map(|r| r.date)
}

/// Whether a hand-over done `on` met its deadline (the deadline day itself is in time).
pub fn met(deadline: NaiveDate, on: NaiveDate) -> bool {
    on <= deadline
}

/// Whether a hand-over still awaited `today` is escalated (间隔催办): its deadline passed
/// before today. The sweep's query selects exactly these (`deadline < today`).
pub fn missed(deadline: NaiveDate, today: NaiveDate) -> bool {
    !met(deadline, today)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_action_is_allowed_or_named_illegal() {
        use Action as A;
        use TransferState as S;
        for from in S::ALL {
            for action in A::ALL {
                let expected = match (from, action) {
                    (S::Sent, A::Accept) => Some(S::Accepted),
                    (S::Sent, A::Reject) => Some(S::Rejected),
                    (S::Accepted, A::ReturnResult) => Some(S::Returned),
                    (S::Returned, A::Deliver) => Some(S::Delivered),
                    (S::Sent, A::PostMaterials) => Some(S::Sent),
                    (S::Accepted, A::PostMaterials) => Some(S::Accepted),
                    (S::Returned, A::PostResult) => Some(S::Returned),
                    (S::Sent, A::Cancel) => Some(S::Cancelled),
                    (S::Accepted, A::Cancel) => Some(S::Cancelled),
                    _ => None,
                };
                let got = transition(from, action);
                match expected {
                    Some(to) => assert_eq!(got, Ok(to), "{from} {action:?}"),
                    None => assert_eq!(got, Err(IllegalTransition { from, action })),
                }
            }
        }
    }

    #[test]
    fn the_texts_are_todays() {
        let texts: Vec<&str> = TransferState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            texts,
            [
                "sent",
                "accepted",
                "rejected",
                "returned",
                "delivered",
                "cancelled"
            ]
        );
        for s in TransferState::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(TransferState::parse(s.as_str()), Some(s));
        }
        for d in Direction::ALL {
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        }
        for l in Location::ALL {
            assert_eq!(serde_json::to_value(l).unwrap(), l.as_str());
        }
        for k in RejectionKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for m in Mode::ALL {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        for m in DeliveryMethod::ALL {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        assert_eq!(serde_json::to_value(Kind::Part).unwrap(), "part");
    }

    #[test]
    fn legs_go_between_the_halls_in_their_states() {
        let (from, to, action) = Direction::Materials.leg().unwrap();
        assert_eq!((from, to), (Side::Receiving, Side::Handling));
        assert!(transition(TransferState::Sent, action).is_ok());
        assert!(transition(TransferState::Returned, action).is_err());
        let (from, to, action) = Direction::ResultToReceiving.leg().unwrap();
        assert_eq!((from, to), (Side::Handling, Side::Receiving));
        assert!(transition(TransferState::Returned, action).is_ok());
        assert!(transition(TransferState::Accepted, action).is_err());
        assert!(
            Direction::ResultToApplicant.leg().is_none(),
            "recorded by the delivery"
        );
        assert_eq!(TransferState::Sent.location(), Location::HandlingRegion);
        assert_eq!(
            TransferState::Rejected.location(),
            Location::ReceivingRegion
        );
        assert_eq!(TransferState::Delivered.location(), Location::Applicant);
    }

    #[test]
    fn a_cancelled_transfer_is_taken_over_by_nobody() {
        for action in Action::ALL {
            assert!(
                transition(TransferState::Cancelled, action).is_err(),
                "{action:?}"
            );
        }
        assert_eq!(
            TransferState::Cancelled.location(),
            Location::ReceivingRegion
        );
    }

    #[test]
    fn a_deadline_is_met_on_its_day_and_missed_the_day_after() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let next = day.succ_opt().unwrap();
        assert!(met(day, day));
        assert!(!met(day, next));
        assert!(!missed(day, day));
        assert!(missed(day, next));
        assert!(!missed(next, day));
        assert_eq!(HandOver::Response.awaited_in(), TransferState::Sent);
        assert_eq!(HandOver::Delivery.awaited_in(), TransferState::Returned);
    }
}
