// How many SMS parts a text costs: GSM 03.38 (7-bit) when every character is in its alphabet,
// else UCS-2. One part holds 160 GSM-7 or 70 UCS-2 characters; a longer text is sent in parts
// of 153 or 67, since each carries a concatenation header.
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** Characters reached through the escape code: two septets each. */
const GSM_EXTENDED = new Set('^{}\\[~]|€\f');

export type SmsSegments = { encoding: 'GSM-7' | 'UCS-2'; characters: number; units: number; segments: number; perSegment: number };

export function smsSegments(text: string): SmsSegments {
  const chars = [...text];
  const gsm = chars.every((c) => GSM_BASIC.has(c) || GSM_EXTENDED.has(c));
  if (gsm) {
    const units = chars.reduce((n, c) => n + (GSM_EXTENDED.has(c) ? 2 : 1), 0);
    const perSegment = units <= 160 ? 160 : 153;
    return { encoding: 'GSM-7', characters: chars.length, units, segments: units === 0 ? 0 : Math.ceil(units / perSegment), perSegment };
  }
  // UCS-2 counts UTF-16 code units: a character outside the BMP (most emoji) takes two.
  const units = text.length;
  const perSegment = units <= 70 ? 70 : 67;
  return { encoding: 'UCS-2', characters: chars.length, units, segments: Math.ceil(units / perSegment), perSegment };
}
