import { connector } from "../src/backends/gcs.js";
import { testBackend } from "./backend-test.js";

testBackend("gcs", connector);
