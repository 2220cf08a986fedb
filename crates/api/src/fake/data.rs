//! The fake's rows: [`FakeSale`] and [`FakeSubscription`], written as
//! Hotmart's API writes them.

/// A sale the fake serves, shaped like the documented capture.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeSale {
    /// `purchase.transaction`.
    pub transaction: String,
    /// `purchase.status`, as the history spells it (`COMPLETE`, …).
    pub status: String,
    /// `purchase.order_date` (epoch ms); the date filters apply to it.
    pub order_date: i64,
    /// `purchase.approved_date`.
    pub approved_date: Option<i64>,
    /// `product.id`.
    pub product_id: u64,
    /// `product.name`.
    pub product_name: String,
    /// `purchase.price.value`, as decimal text written into the JSON as a number.
    pub price: String,
    /// `purchase.price.currency_code`.
    pub currency: String,
    /// `buyer.email`.
    pub buyer_email: String,
    /// `purchase.payment.type`.
    pub payment_type: String,
}

impl FakeSale {
    /// A sale of product 1234567 for 97.00 BRL by card, approved a minute
    /// after the order.
    pub fn new(transaction: impl Into<String>, status: impl Into<String>, order_date: i64) -> Self {
        let transaction = transaction.into();
        FakeSale {
            buyer_email: format!("buyer.{}@example.com", transaction.to_lowercase()),
            transaction,
            status: status.into(),
            order_date,
            approved_date: Some(order_date + 60_000),
            product_id: 1_234_567,
            product_name: "Curso de Exemplo".into(),
            price: "97.00".into(),
            currency: "BRL".into(),
            payment_type: "CREDIT_CARD".into(),
        }
    }

    /// A transaction of the dashboard's "Send test": product 0, the fixed
    /// transaction code.
    pub fn send_test(status: impl Into<String>, order_date: i64) -> Self {
        let mut sale = FakeSale::new(crate::TEST_TRANSACTION, status, order_date);
        sale.product_id = 0;
        sale.product_name = crate::TEST_PRODUCT_NAME.into();
        sale
    }

    /// Sets the product.
    pub fn product(mut self, id: u64, name: impl Into<String>) -> Self {
        self.product_id = id;
        self.product_name = name.into();
        self
    }

    /// Sets the price (decimal text such as `"1385.22"`).
    pub fn price(mut self, value: impl Into<String>, currency: impl Into<String>) -> Self {
        self.price = value.into();
        self.currency = currency.into();
        self
    }

    /// Sets the buyer's e-mail.
    pub fn buyer_email(mut self, email: impl Into<String>) -> Self {
        self.buyer_email = email.into();
        self
    }

    /// The item as the history serves it.
    pub fn to_json(&self) -> String {
        let s = |v: &str| serde_json::to_string(v).unwrap_or_default();
        let approved = self
            .approved_date
            .map_or("null".to_owned(), |d| d.to_string());
        let price = if self.price.parse::<f64>().is_ok() {
            self.price.as_str()
        } else {
            "0"
        };
        format!(
            concat!(
                r#"{{"producer":{{"name":"Produtor","ucode":"prod-ucode"}},"#,
                r#""buyer":{{"name":"Comprador","ucode":"buyer-ucode","email":{email}}},"#,
                r#""product":{{"name":{pname},"id":{pid}}},"#,
                r#""purchase":{{"transaction":{tx},"status":{status},"order_date":{order},"#,
                r#""approved_date":{approved},"is_subscription":false,"recurrency_number":1,"#,
                r#""commission_as":"PRODUCER","price":{{"value":{price},"currency_code":{cur}}},"#,
                r#""payment":{{"type":{ptype},"method":{ptype},"installments_number":1}},"#,
                r#""offer":{{"code":"k2j3h4","payment_mode":"UNIQUE_PAYMENT"}},"hotmart_fee":{{}},"#,
                r#""tracking":{{"source_sck":"HOTMART"}},"warranty_expire_date":{warranty}}}}}"#
            ),
            email = s(&self.buyer_email),
            pname = s(&self.product_name),
            pid = self.product_id,
            tx = s(&self.transaction),
            status = s(&self.status),
            order = self.order_date,
            approved = approved,
            price = price,
            cur = s(&self.currency),
            ptype = s(&self.payment_type),
            warranty = self.order_date + 7 * 86_400_000,
        )
    }
}

/// A subscription the fake serves, with its payments.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FakeSubscription {
    /// `subscriber_code`.
    pub subscriber_code: String,
    /// `status` (`ACTIVE`, `CANCELLED_BY_CUSTOMER`, …).
    pub status: String,
    /// `product.id`.
    pub product_id: u64,
    /// `accession_date`.
    pub accession_date: i64,
    /// The payments: transaction, status, approved date.
    pub purchases: Vec<(String, String, i64)>,
}

impl FakeSubscription {
    /// A subscription with no payment yet.
    pub fn new(
        subscriber_code: impl Into<String>,
        status: impl Into<String>,
        accession_date: i64,
    ) -> Self {
        FakeSubscription {
            subscriber_code: subscriber_code.into(),
            status: status.into(),
            product_id: 1_234_567,
            accession_date,
            purchases: Vec::new(),
        }
    }

    /// Adds a payment.
    pub fn purchase(
        mut self,
        transaction: impl Into<String>,
        status: impl Into<String>,
        approved_date: i64,
    ) -> Self {
        self.purchases
            .push((transaction.into(), status.into(), approved_date));
        self
    }

    pub(crate) fn to_json(&self) -> String {
        let s = |v: &str| serde_json::to_string(v).unwrap_or_default();
        let first = self
            .purchases
            .first()
            .map_or("null".to_owned(), |p| s(&p.0));
        format!(
            concat!(
                r#"{{"subscriber_code":{code},"subscription_id":{id},"status":{status},"#,
                r#""accession_date":{acc},"date_next_charge":{next},"trial":false,"transaction":{first},"#,
                r#""plan":{{"name":"Mensal","id":77,"recurrency_period":30,"max_charge_cycles":null}},"#,
                r#""product":{{"id":{pid},"name":"Assinatura","ucode":"p-ucode"}},"#,
                r#""price":{{"value":29.9,"currency_code":"BRL"}},"#,
                r#""subscriber":{{"name":"Assinante","email":"sub@example.com","ucode":"s-ucode"}}}}"#
            ),
            code = s(&self.subscriber_code),
            id = self.accession_date.rem_euclid(1_000_000),
            status = s(&self.status),
            acc = self.accession_date,
            next = self.accession_date + 30 * 86_400_000,
            first = first,
            pid = self.product_id,
        )
    }

    pub(crate) fn purchases_json(&self) -> String {
        let s = |v: &str| serde_json::to_string(v).unwrap_or_default();
        let items: Vec<String> = self
            .purchases
            .iter()
            .enumerate()
            .map(|(i, (tx, status, approved))| {
                format!(
                    concat!(
                        r#"{{"transaction":{tx},"approved_date":{ap},"payment_engine":"hotmart","status":{st},"#,
                        r#""price":{{"value":29.9,"currency_code":"BRL"}},"payment_type":"CREDIT_CARD","#,
                        r#""payment_method":"CREDIT_CARD","recurrency_number":{n},"under_warranty":false,"#,
                        r#""purchase_subscription":true}}"#
                    ),
                    tx = s(tx),
                    ap = approved,
                    st = s(status),
                    n = i + 1,
                )
            })
            .collect();
        format!("[{}]", items.join(","))
    }
}
