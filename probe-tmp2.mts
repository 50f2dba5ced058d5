import { PGlite } from '@electric-sql/pglite';
function msg(type: string, body: Buffer) { const b = Buffer.alloc(5); b.write(type,0); b.writeInt32BE(body.length+4,1); return new Uint8Array(Buffer.concat([b, body])); }
const pg = await PGlite.create();
await pg.exec('create table t(n int)');
const raw = async (mm: Uint8Array) => { const chunks: Buffer[] = []; await pg.execProtocolRawStream(mm, { onRawData: (d) => chunks.push(Buffer.from(d)) }); return Buffer.concat(chunks).toString('latin1').replace(/[^\x20-\x7e]/g,'.').slice(0,200); };
for (const s of ['COPY t TO STDOUT', 'LISTEN foo', 'COPY t FROM STDIN']) { console.log(s, '=>', await raw(msg('Q', Buffer.from(s + '\0')))); }
console.log('d', await raw(msg('d', Buffer.from('1\n'))));
console.log('query', await pg.query('select count(*) from t').then(r=>JSON.stringify(r.rows)).catch(e=>'ERR '+e.message));
