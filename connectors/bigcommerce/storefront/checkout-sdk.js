/* The checkout part of the Storeflow storefront script, loaded by storefront.js on the checkout
 * page only: checkout-sdk is several hundred kilobytes, which product pages should not pay for.
 * It hands the SDK's entry point to storefront.js through one global and does nothing else.
 */
import { createCheckoutService } from '@bigcommerce/checkout-sdk/essential';

window.StoreflowCheckoutSdk = { createCheckoutService: createCheckoutService };
