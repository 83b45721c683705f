import { createWixConnector } from '../../connectors/wix/wix-connector.ts';
import { runConnectorContract, type SignedDelivery } from './contract.ts';
import { defaultState, installWixStub } from '../fixtures/wix/api-stub.ts';
import * as ev from '../fixtures/wix/events.ts';
import { signWixJwt, wixEnv, wixRequest, WIX_APP_ID, WIX_APP_SECRET, WIX_PUBLIC_KEY, type Envelope } from '../fixtures/wix/sign.ts';

function delivery(name: string, e: Envelope, kinds: SignedDelivery['kinds']): SignedDelivery {
  return { name, topic: e.eventType, kinds, request: () => wixRequest(signWixJwt(e)) };
}

runConnectorContract({
  platform: 'wix',
  connector: () => createWixConnector({ appId: WIX_APP_ID, appSecret: WIX_APP_SECRET, publicKey: WIX_PUBLIC_KEY }),
  env: wixEnv,
  store: { domain: ev.INSTANCE, externalId: ev.INSTANCE },
  deliveries: [
    delivery('V1 product created', ev.v1ProductCreated, ['catalog']),
    delivery('V1 product changed', ev.v1ProductChanged, ['catalog']),
    delivery('V1 inventory variants changed', ev.v1InventoryVariantsChanged, ['catalog']),
    delivery('V1 product deleted', ev.v1ProductDeleted, ['product-deleted']),
    delivery('V3 product updated', ev.v3ProductUpdated, ['catalog']),
    delivery('V3 inventory item updated', ev.v3InventoryItemUpdated, ['catalog']),
    delivery('V3 product deleted', ev.v3ProductDeleted, ['product-deleted']),
    delivery('checkout created', ev.checkoutCreated, ['events']),
    delivery('checkout updated', ev.checkoutUpdated, ['events']),
    delivery('order created', ev.orderCreated, ['events']),
    delivery('order approved', ev.orderApproved, ['events']),
    delivery('order fulfilled (order updated)', ev.orderFulfilled, ['events']),
    delivery('order refunded (order updated)', ev.orderRefunded, ['events']),
    delivery('order canceled', ev.orderCanceled, ['events']),
    delivery('contact created', ev.contactCreated, ['profiles']),
    delivery('contact updated', ev.contactUpdated, ['profiles']),
    delivery('unhandled event type', ev.collectionChanged, ['ignored']),
    delivery('app removed', ev.appRemoved, ['uninstalled']),
  ],
  // The signature is the JWT's third segment; without it the token is unsigned.
  unsigned: (req) => ({ headers: req.headers, rawBody: Buffer.from(req.rawBody.toString('utf8').replace(/[^.]+$/, '')) }),
  async setup() {
    const restore = installWixStub(defaultState());
    return async () => restore();
  },
});
