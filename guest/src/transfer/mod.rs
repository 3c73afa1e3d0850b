//! Moving bytes: where they are (`location`), reading them from a file or
//! through the host's fetch (`source`, with sizes and retries), pushing them
//! through the digest and signature checks (`stream`) into a file written in
//! full before anyone sees it (`staged`, `sink`); a sparse registry's
//! files kept between runs (`http_cache`).

pub mod http_cache;
pub mod location;
pub mod sink;
pub mod source;
pub mod staged;
pub mod stream;
