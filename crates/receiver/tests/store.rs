//! The SQLite store against the Store contract (`store::conformance`), the
//! same checks a PostgreSQL backend runs.

use std::sync::Arc;

use hotmart_receiver::store::{self, OpenOptions, Store, conformance};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_store_keeps_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let store: Arc<dyn Store> = store::open(&url, &OpenOptions::default()).await.unwrap();
    conformance::check_all(store.as_ref()).await;
}
