#![allow(clippy::unwrap_used, clippy::expect_used)]
// a panic is how a test fails
// A test reads the real time to set and check the platform's clock against it.
#![allow(clippy::disallowed_methods)]
//! End-to-end tests: the whole platform in-process (embedded broker, every service and the
//! gateway on ephemeral ports, a fresh database per test), driven over HTTP and Kafka.
//! Needs only PostgreSQL at `DATABASE_URL`.

mod harness;

mod abuse;
mod access;
mod accounts;
mod approval;
mod bookings;
mod cases;
mod catalogue;
mod codes;
mod connections;
mod console;
mod contract;
mod crossregion;
mod dashboard;
mod deadletter;
mod events;
mod faults;
mod files;
mod fuzz;
mod gm;
mod hall;
mod hall_pages;
mod hall_statistics;
mod identity;
mod insight;
mod items;
mod lifecycle;
mod notification;
mod operations;
mod outbound;
mod platform;
mod portal;
mod ratings;
mod transfers;
