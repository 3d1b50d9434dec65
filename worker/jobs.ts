// Every job a domain defines, imported once by whichever process runs them.
// (Domains register their processors with defineJob when their modules load.)
import "../schema/index.js";
