// Reading the editor's flat form: every value arrives as text (or a list of texts); what does not
// fit goes through unchanged so validation can name it on its field.

export const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** An edge or optional setting: empty means none. */
export const opt = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** A number when the text is one, else the text itself for validation to refuse. */
export const num = (v: unknown): number | string => {
  const s = typeof v === 'string' ? v.trim() : '';
  return s !== '' && Number.isFinite(Number(s)) ? Number(s) : s;
};

export const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v ? [String(v)] : []);
