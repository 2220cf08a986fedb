//! The members-area (club) events.

use super::*;

/// The `data` of `CLUB_FIRST_ACCESS`.
pub fn club_first_access() -> impl Strategy<Value = ClubFirstAccess<'static>> {
    record!(ClubFirstAccess {
        product: opt(product_ref()),
        user: opt(user()),
    })
}

/// The `data` of `CLUB_MODULE_COMPLETED`.
pub fn club_module_completed() -> impl Strategy<Value = ClubModuleCompleted<'static>> {
    record!(ClubModuleCompleted {
        product: opt(product_ref()),
        user: opt(user()),
        module: opt(record!(Module {
            id: opt(mixed("[A-Za-z0-9]{10}")),
            name: opt(text()),
        })),
    })
}
