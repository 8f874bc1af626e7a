//! How buttons (and links that act as one) look, by what they do. A page adds
//! only where the button stands (`w-full`, `flex-1`, a margin).

/// The main action of a page or form.
pub const PRIMARY: &str =
    "rounded-lg bg-indigo-700 px-4 py-2.5 text-sm font-semibold text-white hover:bg-indigo-800 disabled:opacity-50";
/// The other choice beside a primary one (deny, stay, sign up instead).
pub const SECONDARY: &str =
    "rounded-lg border border-slate-300 bg-white px-4 py-2.5 text-sm font-semibold text-slate-800 hover:bg-slate-50";
/// An action that ends or removes something.
pub const DANGER: &str =
    "rounded-lg border border-rose-300 bg-white px-4 py-2.5 text-sm font-semibold text-rose-800 hover:bg-rose-50";

// The small buttons of rows, cards and filter forms: one short component
// class each (style/main.css), which keeps the busiest pages small.
/// A small main action.
pub const SMALL_PRIMARY: &str = "button-primary";
/// A small ordinary action.
pub const SMALL_QUIET: &str = "button-quiet";
/// A small action that ends or removes something.
pub const SMALL_DANGER: &str = "button-danger";
