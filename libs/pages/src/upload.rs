//! A material's file as a page uploads it — the `file` field of a multipart form, whose CSRF
//! value travels in the query (the guard does not read multipart bodies) — and its way on to
//! acceptance, which checks its type by its first bytes.

use axum::body::Bytes;
use axum::extract::Multipart;
use uuid::Uuid;

use crate::answer::urlencode;
use crate::api::{Api, Failure, Service};
use crate::error::{PageError, PageResult};

/// A file as the browser sent it.
pub struct Upload {
    pub filename: String,
    pub content_type: String,
    pub bytes: Bytes,
}

impl Upload {
    /// The `file` field of `multipart` (named `unnamed` when the browser gave no name), or
    /// None when no file, or an empty one, was chosen. A body over the limit is a 413.
    pub async fn read(mut multipart: Multipart, unnamed: &str) -> PageResult<Option<Self>> {
        let mut file = None;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|_| PageError::TooLarge)?
        {
            if field.name() == Some("file") {
                let filename = field.file_name().unwrap_or(unnamed).to_owned();
                let content_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let bytes = field.bytes().await.map_err(|_| PageError::TooLarge)?;
                file = Some(Self {
                    filename,
                    content_type,
                    bytes,
                });
            }
        }
        Ok(file.filter(|f| !f.bytes.is_empty()))
    }

    /// Provides it as material `code` of case `id`, as the holder of `token`.
    pub async fn provide(
        self,
        api: &Api,
        token: &str,
        id: Uuid,
        code: &str,
    ) -> Result<(), Failure> {
        let path = format!(
            "/v1/cases/{id}/materials/{code}?filename={}",
            urlencode(&self.filename)
        );
        api.put_bytes(
            token,
            Service::Acceptance,
            &path,
            &self.content_type,
            self.bytes.to_vec(),
        )
        .await
    }
}
