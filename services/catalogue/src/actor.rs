//! Who is changing the catalogue: a staff member through the API (checked against their roles),
//! or an operator at the command line (who has the database already).

use uuid::Uuid;

use tongban_kernel::{Error, Power, Principal, RegionCode};

#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    Staff(&'a Principal),
    /// `tongban catalogue ...` commands: trusted, recorded without an account.
    Operator,
    /// A reader without a token: sees what is published, changes nothing.
    Public,
}

impl<'a> Actor<'a> {
    /// The staff member behind a request, or the public.
    pub fn of(principal: Option<&'a Principal>) -> Self {
        principal.map_or(Self::Public, Self::Staff)
    }
}

impl Actor<'_> {
    /// `Ok` when the actor may edit the catalogue of `region` (for `department`, when the
    /// resource belongs to one).
    pub fn may_edit(&self, region: &RegionCode, department: Option<Uuid>) -> Result<(), Error> {
        match (self, department) {
            (Self::Operator, _) => Ok(()),
            (Self::Public, _) => Err(Error::Unauthorized),
            (Self::Staff(p), Some(d)) => p.require_in_department(Power::EditCatalogue, region, d),
            (Self::Staff(p), None) => p.require(Power::EditCatalogue, region),
        }
    }

    /// Whether the actor may see unpublished versions of `region`.
    pub fn sees_drafts(&self, region: &RegionCode) -> bool {
        match self {
            Self::Operator => true,
            Self::Staff(p) => p.can(Power::EditCatalogue, region),
            Self::Public => false,
        }
    }

    pub fn account(&self) -> Option<Uuid> {
        match self {
            Self::Staff(p) => Some(p.account),
            Self::Operator | Self::Public => None,
        }
    }
}
