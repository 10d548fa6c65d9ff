// Numbers and dates formatted for the reader's locale.

const locale = typeof navigator !== "undefined" ? navigator.language : "en-US";

const money = new Intl.NumberFormat(locale, { style: "currency", currency: "USD", maximumFractionDigits: 0 });
const moneyCents = new Intl.NumberFormat(locale, { style: "currency", currency: "USD", maximumFractionDigits: 2 });
const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
const signedPercent = new Intl.NumberFormat(locale, {
  style: "percent",
  maximumFractionDigits: 1,
  signDisplay: "exceptZero",
});

export const formatMoney = (value: number): string => money.format(value);
export const formatMoneyCents = (value: number): string => moneyCents.format(value);
export const formatInteger = (value: number): string => integer.format(value);
export const formatDecimal = (value: number): string => decimal.format(value);
export const formatPercent = (value: number): string => percent.format(value);

/** A relative change (0.12 = +12%); "n/a" when the previous period was zero. */
export function formatChange(change: number | null): string {
  return change === null ? "n/a" : signedPercent.format(change);
}

/** An ISO date (YYYY-MM-DD) as a short local date, without shifting it across time zones. */
export function formatDate(iso: string | null, options: Intl.DateTimeFormatOptions = { dateStyle: "medium" }): string {
  if (!iso) return "–";
  const [year, month, day] = iso.slice(0, 10).split("-").map(Number);
  return new Intl.DateTimeFormat(locale, { ...options, timeZone: "UTC" }).format(
    new Date(Date.UTC(year, month - 1, day)),
  );
}

export const formatMonth = (iso: string): string => formatDate(iso, { year: "numeric", month: "short" });
