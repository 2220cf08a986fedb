//! Members-area ("Club") events: `CLUB_FIRST_ACCESS` and `CLUB_MODULE_COMPLETED`.

use crate::Text;
use crate::event::common::{ProductRef, User};

payload! {
    /// The `data` of `CLUB_FIRST_ACCESS`: a student entered the members area
    /// for the first time. (Its envelope says `creationDate`, camelCase.)
    pub struct ClubFirstAccess<'a> {
        /// The product (members area).
        #[serde(borrow)]
        pub product: Option<ProductRef<'a>>,
        /// The student.
        #[serde(borrow)]
        pub user: Option<User<'a>>,
    }
}

payload! {
    /// The `data` of `CLUB_MODULE_COMPLETED`: a student completed a module.
    /// Here `product.id` is a JSON string.
    pub struct ClubModuleCompleted<'a> {
        /// The product (members area).
        #[serde(borrow)]
        pub product: Option<ProductRef<'a>>,
        /// The student.
        #[serde(borrow)]
        pub user: Option<User<'a>>,
        /// The module.
        #[serde(borrow)]
        pub module: Option<Module<'a>>,
    }
}

payload! {
    /// A members-area module.
    pub struct Module<'a> {
        /// Module id, the Club API's `module_id` (e.g. `"gOpgkaor7J"`).
        #[serde(borrow)]
        pub id: Option<Text<'a>>,
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
    }
}
