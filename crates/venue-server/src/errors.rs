//! Binance's error answers: an HTTP status and `{"code","msg"}` with the
//! documented code and text, which client libraries map to exceptions
//! (ccxt matches some texts exactly).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: i64,
    pub msg: String,
    /// What a compound request did with each of its parts
    /// (`order/cancelReplace`), sent as the answer's `data`.
    pub data: Option<serde_json::Value>,
}

impl ApiError {
    fn bad(code: i64, msg: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, code, msg: msg.into(), data: None }
    }
    pub fn unknown_listen_key() -> Self {
        Self::bad(-1125, "This listenKey does not exist.")
    }
    pub fn malformed_request() -> Self {
        Self::bad(-1100, "Malformed request: not JSON.")
    }
    pub fn unknown_symbol() -> Self {
        Self::bad(-1121, "Invalid symbol.")
    }
    pub fn mandatory(param: &str) -> Self {
        Self::bad(-1102, format!("Mandatory parameter '{param}' was not sent, was empty/null, or malformed."))
    }
    pub fn illegal_chars(param: &str) -> Self {
        Self::bad(
            -1100,
            format!(
                "Illegal characters found in parameter '{param}'; legal range is '^[0-9]{{1,20}}(\\.[0-9]{{1,20}})?$'."
            ),
        )
    }
    pub fn quantity_or_quote_missing() -> Self {
        Self::bad(-1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!")
    }
    pub fn stop_or_trailing_missing() -> Self {
        Self::bad(-1102, "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!")
    }
    pub fn not_required(param: &str) -> Self {
        Self::bad(-1106, format!("Parameter '{param}' sent when not required."))
    }
    pub fn invalid_value(param: &str) -> Self {
        Self::bad(-1130, format!("Data sent for parameter '{param}' is not valid."))
    }
    pub fn bad_combination() -> Self {
        Self::bad(-1128, "Combination of optional parameters invalid.")
    }
    pub fn window_too_long(span: &str) -> Self {
        Self::bad(-1127, format!("More than {span} between startTime and endTime."))
    }
    pub fn bad_interval() -> Self {
        Self::bad(-1120, "Invalid interval.")
    }
    pub fn bad_symbols() -> Self {
        Self::bad(
            -1100,
            "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.",
        )
    }
    pub fn bad_enum(param: &str) -> Self {
        Self::bad(-1116, format!("Invalid {param}."))
    }
    pub fn filter(name: &str) -> Self {
        Self::bad(-1013, format!("Filter failure: {name}"))
    }
    pub fn insufficient_balance() -> Self {
        Self::bad(-2010, "Account has insufficient balance for requested action.")
    }
    pub fn rejected(reason: &str) -> Self {
        Self::bad(-2010, reason)
    }
    pub fn unknown_order_cancel() -> Self {
        Self::bad(-2011, "Unknown order sent.")
    }
    pub fn unknown_order_list() -> Self {
        Self::bad(-2011, "Unknown order list sent.")
    }
    pub fn no_such_order_list() -> Self {
        Self::bad(-2013, "Order list does not exist.")
    }
    pub fn no_such_order() -> Self {
        Self::bad(-2013, "Order does not exist.")
    }
    pub fn bad_signature() -> Self {
        Self::bad(-1022, "Signature for this request is not valid.")
    }
    pub fn outside_recv_window() -> Self {
        Self::bad(-1021, "Timestamp for this request is outside of the recvWindow.")
    }
    pub fn ahead_of_server() -> Self {
        Self::bad(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    }
    pub fn recv_window_too_large() -> Self {
        Self::bad(-1131, "recvWindow must be less than 60000")
    }
    pub fn bad_api_key() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: -2015,
            msg: "Invalid API-key, IP, or permissions for action.".into(),
            data: None,
        }
    }
    pub fn duplicate_client_id() -> Self {
        Self::bad(-2010, "Duplicate order sent.")
    }
    pub fn cancel_ids_missing() -> Self {
        Self::bad(-1102, "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent, but both were empty/null!")
    }
    pub fn cancel_replace_failed(data: serde_json::Value) -> Self {
        Self { data: Some(data), ..Self::bad(-2022, "Order cancel-replace failed.") }
    }
    /// One half done: HTTP 409, as Binance answers a partial success.
    pub fn cancel_replace_partly_failed(data: serde_json::Value) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            data: Some(data),
            ..Self::bad(-2021, "Order cancel-replace partially failed.")
        }
    }
    pub fn both_ids_missing() -> Self {
        Self::bad(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
    }
    pub fn too_much_precision(param: &str) -> Self {
        Self::bad(-1111, format!("Parameter '{param}' has too much precision."))
    }
    pub fn illegal_chars_anywhere() -> Self {
        Self::bad(-1100, "Illegal characters found in a parameter.")
    }
    pub fn too_large(what: &str, limit: usize) -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: -1000,
            msg: format!("The request's {what} is longer than {limit} bytes."),
            data: None,
        }
    }
    /// A bug in the venue (Binance's text for -1000).
    pub fn internal() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: -1000,
            msg: "An unknown error occured while processing the request.".into(),
            data: None,
        }
    }
    /// After a handler panicked while changing the books.
    pub fn halted() -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: -1000,
            msg: "The venue stopped trading after an internal error; restart it.".into(),
            data: None,
        }
    }
    pub fn not_found() -> Self {
        Self { status: StatusCode::NOT_FOUND, code: -1000, msg: "Unknown endpoint.".into(), data: None }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "code": self.code, "msg": self.msg });
        if let Some(data) = self.data {
            body["data"] = data;
        }
        (self.status, axum::Json(body)).into_response()
    }
}
