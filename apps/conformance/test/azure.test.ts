import { connector } from "../src/backends/azure.js";
import { testBackend } from "./backend-test.js";

testBackend("azure", connector);
