//! The service clock, defined in the kernel (token verification reads it too) and used by
//! every service through the runtime.

pub use tongban_kernel::clock::*;
