import Database from "libsql";
const db = new Database(process.argv[2]);
try { console.log(db.prepare("SELECT name, COUNT(*) pages, SUM(pgsize)/1e6 mb, SUM(unused)/1e6 unused_mb FROM dbstat GROUP BY name ORDER BY 3 DESC LIMIT 25").all()); } catch (e) { console.log(e.message); }
for (const t of ["events","deployments","versions","dora_facts"]) {
 const cols = db.prepare(`pragma table_info(${t})`).all().map(c=>c.name);
 console.log(t, db.prepare("select " + cols.map(c=>`avg(length("${c}")) as "${c}"`).join(",") + ` from ${t}`).get());
}
console.log(db.prepare("select payload, response from events limit 1").get());
