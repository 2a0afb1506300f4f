export { FaultyStore, type FaultRule, type FaultOperation, type FaultyStoreOptions } from "./faulty-store.js";
