import { connector } from "../src/backends/fs.js";
import { testBackend } from "./backend-test.js";

testBackend("fs", connector);
