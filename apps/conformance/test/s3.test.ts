import { connector } from "../src/backends/s3.js";
import { testBackend } from "./backend-test.js";

testBackend("s3", connector);
