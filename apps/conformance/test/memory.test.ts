import { connector } from "../src/backends/memory.js";
import { testBackend } from "./backend-test.js";

testBackend("memory", connector);
