//! The shared HTTP cases (`tests/common/http_cases.rs`) against example-axum,
//! over a real loopback socket.

#[path = "../../../tests/common/http_cases.rs"]
mod cases;

#[tokio::test]
async fn every_shared_http_case_passes_over_a_real_socket() {
    cases::run_every_case(example_axum::serve).await;
}

#[test]
fn refuses_to_start_without_the_secret() {
    cases::refuses_to_start_without_the_secret(env!("CARGO_BIN_EXE_example-axum"));
}

#[tokio::test]
async fn the_binary_serves_on_the_address_it_prints() {
    cases::binary_serves_on_the_address_it_prints(env!("CARGO_BIN_EXE_example-axum")).await;
}
