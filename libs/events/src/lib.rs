//! Event payloads: the contract with every consumer, including the provincial platform.
//!
//! The types are generated at build time from `proto/tongban/<service>/v1/*.proto`. Each event
//! type also implements [`Event`], which names its CloudEvents `ce_type` and its topic, so a
//! producer cannot publish a payload under the wrong type or topic.
//!
//! # Layout
//! - [`topics`]: every topic the platform uses (created at start).
//! - [`catalogue`], ...: generated messages per service, versioned by package.
//! - [`KNOWN_TYPES`]: every `ce_type` of the contract; a message with another type is
//!   dead-lettered by consumers.

/// Topics, one per owning service, plus the dead-letter topic.
pub mod topics {
    pub const IDENTITY: &str = "tongban.identity.v1";
    pub const CATALOGUE: &str = "tongban.catalogue.v1";
    pub const ACCEPTANCE: &str = "tongban.acceptance.v1";
    pub const APPROVAL: &str = "tongban.approval.v1";
    pub const NOTIFICATION: &str = "tongban.notification.v1";
    pub const CROSSREGION: &str = "tongban.crossregion.v1";
    pub const HALL: &str = "tongban.hall.v1";
    /// The signed heads of the services' audit chains.
    pub const AUDIT: &str = "tongban.audit.v1";
    /// Messages a consumer can never process, with the reason in a header.
    pub const DEADLETTER: &str = "tongban.deadletter.v1";

    pub const ALL: [&str; 9] = [
        IDENTITY,
        CATALOGUE,
        ACCEPTANCE,
        APPROVAL,
        NOTIFICATION,
        CROSSREGION,
        HALL,
        AUDIT,
        DEADLETTER,
    ];

    /// The topic of the service named `service` (`tongban.<service>.v1`).
    pub fn of_service(service: &str) -> String {
        format!("tongban.{service}.v1")
    }
}

pub mod identity {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/tongban.identity.v1.rs"));
    }
}

pub mod catalogue {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/tongban.catalogue.v1.rs"));
    }
}

pub mod acceptance {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/tongban.acceptance.v1.rs"));
    }
}

pub mod approval {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/tongban.approval.v1.rs"));
    }
}

pub mod crossregion {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/tongban.crossregion.v1.rs"));
    }
}

pub mod hall {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/tongban.hall.v1.rs"));
    }
}

pub mod audit {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/tongban.audit.v1.rs"));
    }
}

pub mod notification {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/tongban.notification.v1.rs"));
    }
}

pub mod compat;

/// The compiled descriptor set of every `.proto` (for compatibility checks and reflection).
pub const DESCRIPTORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// A payload the platform publishes.
pub trait Event: prost::Message + Default {
    /// CloudEvents `ce_type`, `cn.tongban.<service>.<event>.v<N>`.
    const TYPE: &'static str;
    /// The owning service; the topic is `tongban.<service>.v1` and `ce_source` `/tongban/<service>`.
    const SERVICE: &'static str;
}

macro_rules! events {
    ($($ty:path => $service:literal, $name:literal;)*) => {
        $(impl Event for $ty {
            const TYPE: &'static str = concat!("cn.tongban.", $service, ".", $name, ".v1");
            const SERVICE: &'static str = $service;
        })*
        /// Every `ce_type` of the contract.
        pub const KNOWN_TYPES: &[&str] = &[$(concat!("cn.tongban.", $service, ".", $name, ".v1")),*];
    };
}

events! {
    identity::v1::AccountCreated => "identity", "account_created";
    identity::v1::RoleGranted => "identity", "role_granted";
    identity::v1::RoleRevoked => "identity", "role_revoked";
    identity::v1::AccountLocked => "identity", "account_locked";
    identity::v1::PreferencesChanged => "identity", "preferences_changed";
    identity::v1::AccountDisabled => "identity", "account_disabled";
    identity::v1::AccountEnabled => "identity", "account_enabled";
    identity::v1::PasswordChanged => "identity", "password_changed";
    identity::v1::DutyExceptionGranted => "identity", "duty_exception_granted";
    identity::v1::DutyExceptionRevoked => "identity", "duty_exception_revoked";
    identity::v1::RealNameVerified => "identity", "real_name_verified";
    catalogue::v1::DepartmentRegistered => "catalogue", "department_registered";
    catalogue::v1::ItemPublished => "catalogue", "item_published";
    catalogue::v1::ItemWithdrawn => "catalogue", "item_withdrawn";
    catalogue::v1::BundlePublished => "catalogue", "bundle_published";
    catalogue::v1::BundleWithdrawn => "catalogue", "bundle_withdrawn";
    catalogue::v1::CalendarChanged => "catalogue", "calendar_changed";
    acceptance::v1::CaseSubmitted => "acceptance", "case_submitted";
    acceptance::v1::CorrectionRequested => "acceptance", "correction_requested";
    acceptance::v1::CaseAccepted => "acceptance", "case_accepted";
    acceptance::v1::CaseRefused => "acceptance", "case_refused";
    acceptance::v1::CaseWithdrawn => "acceptance", "case_withdrawn";
    acceptance::v1::DeferredMaterialSupplied => "acceptance", "deferred_material_supplied";
    acceptance::v1::DeferredMaterialOverdue => "acceptance", "deferred_material_overdue";
    acceptance::v1::VisitRecorded => "acceptance", "visit_recorded";
    acceptance::v1::CaseDelivered => "acceptance", "case_delivered";
    acceptance::v1::Rated => "acceptance", "rated";
    acceptance::v1::RemediationOpened => "acceptance", "remediation_opened";
    acceptance::v1::RemediationClosed => "acceptance", "remediation_closed";
    acceptance::v1::RemediationOverdue => "acceptance", "remediation_overdue";
    audit::v1::ChainHead => "audit", "chain_head";
    approval::v1::CertificateIssued => "approval", "certificate_issued";
    approval::v1::CertificateRevoked => "approval", "certificate_revoked";
    approval::v1::CaseConcluded => "approval", "case_concluded";
    approval::v1::WorkItemOpened => "approval", "work_item_opened";
    approval::v1::StepClaimed => "approval", "step_claimed";
    approval::v1::StepCompleted => "approval", "step_completed";
    approval::v1::StepReturned => "approval", "step_returned";
    approval::v1::ClockPaused => "approval", "clock_paused";
    approval::v1::ClockResumed => "approval", "clock_resumed";
    approval::v1::TimeLimitExtended => "approval", "time_limit_extended";
    approval::v1::DeadlineApproaching => "approval", "deadline_approaching";
    approval::v1::CaseOverdue => "approval", "case_overdue";
    approval::v1::DueDateRecalculated => "approval", "due_date_recalculated";
    crossregion::v1::AgreementConcluded => "crossregion", "agreement_concluded";
    crossregion::v1::AgreementTerminated => "crossregion", "agreement_terminated";
    crossregion::v1::TransferSent => "crossregion", "transfer_sent";
    crossregion::v1::TransferAccepted => "crossregion", "transfer_accepted";
    crossregion::v1::TransferRejected => "crossregion", "transfer_rejected";
    crossregion::v1::ResultReturned => "crossregion", "result_returned";
    crossregion::v1::TransferCompleted => "crossregion", "transfer_completed";
    crossregion::v1::PostalLegSent => "crossregion", "postal_leg_sent";
    crossregion::v1::PostalLegReceived => "crossregion", "postal_leg_received";
    crossregion::v1::HandOverOverdue => "crossregion", "hand_over_overdue";
    crossregion::v1::TransferCancelled => "crossregion", "transfer_cancelled";
    hall::v1::TicketIssued => "hall", "ticket_issued";
    hall::v1::TicketCalled => "hall", "ticket_called";
    hall::v1::TicketServingStarted => "hall", "ticket_serving_started";
    hall::v1::TicketFinished => "hall", "ticket_finished";
    hall::v1::TicketAbsent => "hall", "ticket_absent";
    hall::v1::TicketTransferred => "hall", "ticket_transferred";
    hall::v1::TicketCancelled => "hall", "ticket_cancelled";
    hall::v1::AppointmentBooked => "hall", "appointment_booked";
    hall::v1::AppointmentCancelled => "hall", "appointment_cancelled";
    hall::v1::AppointmentCheckedIn => "hall", "appointment_checked_in";
    hall::v1::AppointmentMissed => "hall", "appointment_missed";
    hall::v1::AppointmentReminderDue => "hall", "appointment_reminder_due";
    hall::v1::BookingSuspended => "hall", "booking_suspended";
    notification::v1::MessageSent => "notification", "message_sent";
    notification::v1::MessageDelivered => "notification", "message_delivered";
    notification::v1::MessageFailed => "notification", "message_failed";
}

/// A protobuf timestamp from a UTC time.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

/// The UTC time of a protobuf timestamp; `None` for one out of chrono's range or malformed
/// (negative nanoseconds).
pub fn datetime(at: &prost_types::Timestamp) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_the_naming_rule() {
        assert_eq!(
            catalogue::v1::DepartmentRegistered::TYPE,
            "cn.tongban.catalogue.department_registered.v1"
        );
        assert!(KNOWN_TYPES.contains(&catalogue::v1::DepartmentRegistered::TYPE));
        assert_eq!(topics::of_service("catalogue"), topics::CATALOGUE);
    }

    #[test]
    fn the_descriptor_set_holds_every_proto() {
        let set: prost_types::FileDescriptorSet = prost::Message::decode(DESCRIPTORS).unwrap();
        assert!(
            set.file
                .iter()
                .any(|f| f.package() == "tongban.catalogue.v1")
        );
    }
}
