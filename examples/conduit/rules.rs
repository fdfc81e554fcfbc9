//! The validation rules garde runs on request bodies (through
//! `kiln::validate::Valid`), worded as RealWorld clients show them:
//! `"email can't be blank"`.

// garde calls custom rules as `fn(&T, &Context)`; the context here is `()`.
#![allow(clippy::trivially_copy_pass_by_ref)]

/// Not empty, not only whitespace.
pub(crate) fn not_blank(value: &str, _: &()) -> garde::Result {
    if value.trim().is_empty() {
        return Err(garde::Error::new("can't be blank"));
    }
    Ok(())
}

/// Something that can be an address: `local@domain`, no spaces. (Whether it
/// is one only a mail to it can tell.)
pub(crate) fn email_address(value: &str, ctx: &()) -> garde::Result {
    not_blank(value, ctx)?;
    match value.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !value.chars().any(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(garde::Error::new("is invalid")),
    }
}

/// Every tag is not blank.
pub(crate) fn tags(values: &Option<Vec<String>>, ctx: &()) -> garde::Result {
    for tag in values.iter().flatten() {
        not_blank(tag, ctx).map_err(|_| garde::Error::new("can't contain a blank tag"))?;
    }
    Ok(())
}
