/**
 * The provider refused this message for good (unknown mailbox, invalid number): retrying
 * cannot help, so the message fails at once with the provider's reason.
 */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
}
