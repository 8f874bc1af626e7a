//! The class strings of what most pages have: the title, framed lists,
//! tables and form cards. A page adds only the margin above them.

/// A page's `<h1>`.
pub const PAGE_TITLE: &str = "text-3xl font-bold tracking-tight";
/// A white framed list whose rows are divided.
pub const LIST: &str = "divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white shadow-sm";
/// The frame of a table, which scrolls sideways on a narrow screen.
pub const TABLE_FRAME: &str = "overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm";
/// A table's header row.
pub const TABLE_HEAD: &str = "bg-slate-50 text-xs uppercase text-slate-600";
/// A white framed form, its fields spaced.
pub const FORM_CARD: &str = "space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-sm";
