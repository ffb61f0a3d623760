//! The account: its name, its country (how its people dial national numbers), the countries
//! its calls may reach, its limit on external legs at once and its default caller ID. The
//! checks are the API's (`PATCH /v1/account`): the same domain rules, the same store write.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use centralita_domain::{Country, FieldError, NumberId, check_name, check_prefixes, limits};
use centralita_store::{AccountUpdate, StoreError, Viewer};
use maud::{Markup, html};

use crate::WebState;
use crate::form::{Errors, FormData, Posted};
use crate::i18n::T;
use crate::page::{
    Shell, Tab, WebError, csrf_field, described_by, field_error, invalid, page, redirect_with_flash,
};
use crate::session::Signed;

async fn render(
    state: &WebState,
    signed: &Signed,
    form: &FormData,
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = signed.lang;
    let account = state.store().get_account(signed.account()).await?;
    let numbers = state.store().list_numbers(signed.account(), Viewer::Admin).await?;
    // What was typed wins over what is stored, so a refused form keeps it.
    let typed = |name: &str, stored: String| form.get(name).map_or(stored, str::to_owned);
    let prefixes =
        typed("allowed_prefixes", account.allowed_prefixes.clone().unwrap_or_default().join(" "));
    let max = typed(
        "max_outbound_legs",
        account.max_outbound_legs.map(|m| m.to_string()).unwrap_or_default(),
    );
    let default_number = typed(
        "default_number_id",
        account.default_number_id.map(|n| n.to_string()).unwrap_or_default(),
    );
    let field = |name: &str, label: T, hint: T, input: Markup| -> Markup {
        html! {
            div.field {
                label for=(format!("account-{name}")) { (lang.t(label)) }
                span.hint id=(format!("account-{name}-hint")) { (lang.t(hint)) }
                (input)
                (field_error(errors, name, lang))
            }
        }
    };
    let described = |name: &str| {
        let hint = format!("account-{name}-hint");
        Some(described_by(errors, name).map_or(hint.clone(), |error| format!("{hint} {error}")))
    };
    let body = html! {
        h1 { (lang.t(T::AccountTitle)) }
        form.card #account-form method="post" action="/account" novalidate {
            (csrf_field(&signed.csrf))
            @if errors.any().is_some() {
                p.flash.bad role="alert" { (lang.t(T::NotSaved)) }
            }
            (field("name", T::Name, T::AccountNameHint, html! {
                input #account-name type="text" name="name" required value=(typed("name", account.name.clone()))
                    aria-invalid=[invalid(errors, "name")] aria-describedby=[described("name")];
            }))
            (field("country", T::Country, T::CountryHint, html! {
                input #account-country type="text" name="country" required maxlength="2" autocomplete="country"
                    value=(typed("country", account.country.to_string()))
                    aria-invalid=[invalid(errors, "country")] aria-describedby=[described("country")];
            }))
            (field("allowed_prefixes", T::AllowedPrefixes, T::AllowedPrefixesHint, html! {
                input #account-allowed_prefixes type="text" name="allowed_prefixes" inputmode="numeric"
                    value=(prefixes) placeholder=(account.country.calling_code())
                    aria-invalid=[invalid(errors, "allowed_prefixes")] aria-describedby=[described("allowed_prefixes")];
            }))
            (field("max_outbound_legs", T::MaxOutboundLegs, T::MaxOutboundLegsHint, html! {
                input #account-max_outbound_legs type="number" name="max_outbound_legs" value=(max)
                    min=(limits::MAX_OUTBOUND_LEGS.start()) max=(limits::MAX_OUTBOUND_LEGS.end())
                    aria-invalid=[invalid(errors, "max_outbound_legs")] aria-describedby=[described("max_outbound_legs")];
            }))
            (field("default_number_id", T::DefaultCallerId, T::DefaultCallerIdHint, html! {
                select #account-default_number_id name="default_number_id"
                    aria-invalid=[invalid(errors, "default_number_id")] aria-describedby=[described("default_number_id")] {
                    option value="" selected[default_number.is_empty()] { (lang.t(T::NoDefaultCallerId)) }
                    @for number in &numbers {
                        option value=(number.id) selected[default_number == number.id.to_string()] {
                            (number.name) " (" (number.e164) ")"
                        }
                    }
                }
            }))
            button.primary type="submit" { (lang.t(T::Save)) }
        }
    };
    let title = lang.t(T::AccountTitle).to_owned();
    page(state, Shell { signed, tab: Some(Tab::Account), title }, status, body).await
}

/// `GET /account`.
pub(crate) async fn show(
    State(state): State<WebState>,
    signed: Signed,
) -> Result<Response, WebError> {
    signed.require_admin()?;
    render(&state, &signed, &FormData::default(), &Errors::none(), StatusCode::OK).await
}

/// The form as the store's update, or the first refused field.
fn parse(form: &FormData) -> Result<AccountUpdate, FieldError> {
    let name = form.get("name").unwrap_or("").trim().to_owned();
    check_name("name", &name)?;
    let country = Country::parse(form.get("country").unwrap_or("").trim())
        .map_err(|e| FieldError::new("country", e.to_string()))?;
    let prefixes: Vec<String> = form
        .get("allowed_prefixes")
        .unwrap_or("")
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    check_prefixes("allowed_prefixes", &prefixes)?;
    let max = match form.value("max_outbound_legs") {
        None => None,
        Some(raw) => match raw.trim().parse::<u32>() {
            Ok(max) if limits::MAX_OUTBOUND_LEGS.contains(&max) => Some(max),
            _ => return Err(FieldError::new("max_outbound_legs", "must be between 1 and 10000")),
        },
    };
    let default_number = match form.value("default_number_id") {
        None => None,
        Some(raw) => Some(raw.parse::<NumberId>().map_err(|_| {
            FieldError::new("default_number_id", "is not a number of this account")
        })?),
    };
    Ok(AccountUpdate {
        name: Some(name),
        country: Some(country),
        allowed_prefixes: Some((!prefixes.is_empty()).then_some(prefixes)),
        max_outbound_legs: Some(max),
        default_number: Some(default_number),
    })
}

/// `POST /account`.
pub(crate) async fn save(
    State(state): State<WebState>,
    posted: Posted,
) -> Result<Response, WebError> {
    let Posted { signed, form } = posted;
    signed.require_admin()?;
    let refuse = |error: FieldError| async {
        render(&state, &signed, &form, &Errors::of(error), StatusCode::UNPROCESSABLE_ENTITY).await
    };
    let update = match parse(&form) {
        Ok(update) => update,
        Err(error) => return refuse(error).await,
    };
    match state.store().update_account(signed.account(), &update).await {
        Ok(_) => {
            state.live().account_changed(signed.account());
            Ok(redirect_with_flash(&state, "/account", true, signed.lang.t(T::Saved)))
        }
        Err(StoreError::Invalid(error)) => refuse(error).await,
        Err(other) => Err(other.into()),
    }
}
