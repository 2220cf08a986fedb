//! Who takes part: the buyer, the producer, affiliates, and the
//! commissions each is paid.

use super::{CommissionSource, DocumentType, LegalNature};
use crate::event::common::Address;
use crate::{Amount, Text};

payload! {
    /// One element of `affiliates`.
    #[derive(Default)]
    pub struct Affiliate<'a> {
        /// Affiliate code; `""` when there is no affiliate.
        #[serde(borrow)]
        pub affiliate_code: Option<Text<'a>>,
        /// Affiliate name; `""` when there is no affiliate.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
    }
}

impl Affiliate<'_> {
    /// The affiliate code, or `None` when absent or empty.
    pub fn code(&self) -> Option<&str> {
        self.affiliate_code.as_deref().filter(|c| !c.is_empty())
    }
}

payload! {
    /// `data.buyer` of a purchase.
    #[derive(Default)]
    pub struct Buyer<'a> in place {
        /// E-mail.
        #[serde(borrow)]
        pub email: Option<Text<'a>>,
        /// Hotmart user UUID (undocumented, 2026 production).
        #[serde(borrow)]
        pub ucode: Option<Text<'a>>,
        /// Full name (may carry trailing spaces).
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// First name.
        #[serde(borrow)]
        pub first_name: Option<Text<'a>>,
        /// Last name.
        #[serde(borrow)]
        pub last_name: Option<Text<'a>>,
        /// Phone typed at checkout (with the country code for non-Brazilians).
        #[serde(borrow)]
        pub checkout_phone: Option<Text<'a>>,
        /// Area code (DDD) of Brazilian buyers.
        #[serde(borrow)]
        pub checkout_phone_code: Option<Text<'a>>,
        /// Document digits; may be `""`.
        #[serde(borrow)]
        pub document: Option<Text<'a>>,
        /// Document type; may be `""`.
        #[serde(borrow)]
        pub document_type: Option<DocumentType<'a>>,
        /// Address.
        #[serde(borrow)]
        pub address: Option<Address<'a>> in place,
    }
}

payload! {
    /// `data.producer`.
    pub struct Producer<'a> {
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// CPF/CNPJ digits.
        #[serde(borrow)]
        pub document: Option<Text<'a>>,
        /// `Pessoa Física` or `Pessoa Jurídica`.
        #[serde(borrow)]
        pub legal_nature: Option<LegalNature<'a>>,
    }
}

payload! {
    /// One element of `commissions`.
    #[derive(Default)]
    pub struct Commission<'a> {
        /// The commission in `currency_value`.
        pub value: Option<Amount>,
        /// ISO 4217 currency (may differ from the purchase's).
        #[serde(borrow)]
        pub currency_value: Option<Text<'a>>,
        /// Whose commission.
        #[serde(borrow)]
        pub source: Option<CommissionSource<'a>>,
        /// Conversion to the producer's currency (since 2024-04).
        #[serde(borrow)]
        pub currency_conversion: Option<CurrencyConversion<'a>>,
    }
}

payload! {
    /// `commissions[].currency_conversion`.
    pub struct CurrencyConversion<'a> {
        /// The converted value.
        pub converted_value: Option<Amount>,
        /// The currency converted to.
        #[serde(borrow)]
        pub converted_to_currency: Option<Text<'a>>,
        /// The rate (six decimals).
        pub conversion_rate: Option<Amount>,
    }
}
