// The field names Klaviyo's own e-commerce integrations put in event properties. A store that
// already feeds Klaviyo sends these, so support can preset them instead of mapping by hand.
export const KLAVIYO_FORMAT = {
  orderedProduct: { metric: 'Ordered Product', productIdField: 'ProductID', priceField: 'Price' },
  viewedProduct: { metric: 'Viewed Product', productIdField: 'ProductID', priceField: 'Price' },
  addedToCart: { metric: 'Added to Cart', productIdField: 'ProductID', priceField: 'Price' },
  startedCheckout: { metric: 'Started Checkout', itemsField: 'Items', productIdField: 'ProductID', priceField: 'ItemPrice' },
  variantIdField: 'VariantID',
} as const;

/** The support console's "Klaviyo format" preset for the custom-catalog trigger. */
export function klaviyoTriggerPreset() {
  const { variantIdField: _v, ...mapping } = KLAVIYO_FORMAT;
  return structuredClone(mapping) as {
    orderedProduct: { metric: string; productIdField: string; priceField: string };
    viewedProduct: { metric: string; productIdField: string; priceField: string };
    addedToCart: { metric: string; productIdField: string; priceField: string };
    startedCheckout: { metric: string; itemsField: string; productIdField: string; priceField: string };
  };
}
