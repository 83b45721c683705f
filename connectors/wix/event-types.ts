// Wix webhook event types this connector acts on. A site runs Catalog V1 or V3 and Wix sends
// that catalog's events, so both families are listed; either one only names what changed.
export const WixEvents = {
  appInstalled: 'AppInstalled',
  appRemoved: 'AppRemoved',
  v1ProductCreated: 'com.wix.ecommerce.catalog.api.v1.ProductCreated',
  v1ProductChanged: 'com.wix.ecommerce.catalog.api.v1.ProductChanged',
  v1ProductDeleted: 'com.wix.ecommerce.catalog.api.v1.ProductDeleted',
  v1VariantsChanged: 'com.wix.ecommerce.catalog.api.v1.VariantsChanged',
  v1InventoryVariantsChanged: 'com.wix.ecommerce.inventory.api.v1.InventoryVariantsChanged',
  v1InventoryItemChanged: 'com.wix.ecommerce.inventory.api.v1.InventoryItemChanged',
  v3ProductCreated: 'wix.stores.catalog.v3.product_created',
  v3ProductUpdated: 'wix.stores.catalog.v3.product_updated',
  v3ProductDeleted: 'wix.stores.catalog.v3.product_deleted',
  v3InventoryItemCreated: 'wix.stores.catalog.v3.inventory_item_created',
  v3InventoryItemUpdated: 'wix.stores.catalog.v3.inventory_item_updated',
  v3InventoryItemDeleted: 'wix.stores.catalog.v3.inventory_item_deleted',
  checkoutCreated: 'wix.ecom.v1.checkout_created',
  checkoutUpdated: 'wix.ecom.v1.checkout_updated',
  orderCreated: 'wix.ecom.v1.order_created',
  orderApproved: 'wix.ecom.v1.order_approved',
  /** Order Updated: fulfilled in full, cancelled or refunded shows on the order itself. */
  orderUpdated: 'wix.ecom.v1.order_updated',
  orderCanceled: 'wix.ecom.v1.order_canceled',
  contactCreated: 'wix.contacts.v4.contact_created',
  contactUpdated: 'wix.contacts.v4.contact_updated',
} as const;
