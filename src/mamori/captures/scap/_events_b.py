"""Event table, codes 200-425: pure data (see ``events.py`` for the line format).

Codes 352 and above and the parameters appended to older events by later libs
releases (``ino``, ``reaper_tid``, the execve capability and inode fields) follow the
current falcosecurity/libs event table; a capture only carries as many parameters as
its writer knew, and the reader names only those.
"""

from __future__ import annotations

from mamori.captures.scap._events_a import PROC_I, PROC_U

CLONE17 = f"res:pid {PROC_I} comm:s flags:f32x uid:u32 gid:u32"
CLONE20 = (
    f"res:pid {PROC_I} comm:s cgroups:sl flags:f32x uid:u32 gid:u32 vtid:pid vpid:pid "
    "pidns_init_start_ts:u64"
)
EXEC17 = f"res:e {PROC_U} comm:s cgroups:sl env:sl tty:i32"
EXEC20 = (
    f"{EXEC17} pgid:pid loginuid:i32 flags:f32x cap_inheritable:u64x cap_permitted:u64x "
    "cap_effective:u64x exe_ino:u64 exe_ino_ctime:at exe_ino_mtime:at uid:uid "
    "trusted_exepath:p"
)

LINES_B = f"""
200 setgid M gid:gid
201 setgid M res:e
202 getuid -
203 getuid - uid:uid
204 geteuid -
205 geteuid - euid:uid
206 getgid -
207 getgid - gid:gid
208 getegid -
209 getegid - egid:gid
210 getresuid -
211 getresuid - res:e ruid:uid euid:uid suid:uid
212 getresgid -
213 getresgid - res:e rgid:gid egid:gid sgid:gid
214 execve MO
215 execve MO res:e {PROC_U} comm:s env:sl
216 clone MO
217 clone MO {CLONE17}
218 fork MO
219 fork MO {CLONE17}
220 vfork MO
221 vfork MO {CLONE17}
222 clone M
223 clone M {CLONE20}
224 fork M
225 fork M {CLONE20}
226 vfork M
227 vfork M {CLONE20}
228 container SMO id:s type:u32 name:s image:s
229 container NO
230 execve M
231 execve M res:e {PROC_U} comm:s cgroups:sl env:sl
232 signaldeliver - spid:pid dpid:pid sig:sig
233 signaldeliver N
234 procinfo S cpu_usr:u64 cpu_sys:u64
235 NA2 N
236 getdents U fd:fd
237 getdents U res:e
238 getdents64 U fd:fd
239 getdents64 U res:e
240 setns U fd:fd nstype:f32x
241 setns U res:e
242 flock U fd:fd operation:f32x
243 flock U res:e
244 cpu_hotplug SM cpu:u32 action:u32
245 NA2 N
246 accept CM
247 accept CM fd:fd tuple:st queuepct:u8 queuelen:u32 queuemax:u32
248 accept CM flags:i32x
249 accept CM fd:fd tuple:st queuepct:u8 queuelen:u32 queuemax:u32
250 semop - semid:i32
251 semop - res:e nsops:u32 sem_num_0:u16 sem_op_0:i16 sem_flg_0:f16x sem_num_1:u16 \
sem_op_1:i16 sem_flg_1:f16x
252 semctl - semid:i32 semnum:i32 cmd:f16x val:i32
253 semctl - res:e
254 ppoll - fds:fdl timeout:rt sigmask:sset
255 ppoll - res:e fds:fdl
256 mount M flags:f32x
257 mount M res:e dev:s dir:p type:s
258 umount M flags:f32x
259 umount M res:e name:p
260 k8s SM json:s
261 NA3 N
262 semget - key:i32x nsems:i32 semflg:f32x
263 semget - res:e
264 access - mode:f32x
265 access - res:e name:p
266 chroot M
267 chroot M res:e path:p
268 tracer - id:i64 tags:cba args:cbpa
269 tracer - id:i64 tags:cba args:cbpa
270 mesos SM json:s
271 NA4 N
272 container M json:s
273 container N
274 setsid M
275 setsid M res:pid
276 mkdir - mode:u32x
277 mkdir - res:e path:p
278 rmdir -
279 rmdir - res:e path:p
280 notification S id:s desc:s
281 NA4 N
282 execve MO
283 execve MO {EXEC17}
284 unshare - flags:f32x
285 unshare - res:e
286 infra S source:s name:s description:s scope:s
287 NA4 N
288 execve MO filename:p
289 execve MO {EXEC17}
290 page_fault S addr:u64x ip:u64x error:f32x
291 NA5 N
292 execve M filename:p
293 execve M {EXEC20}
294 setpgid M pid:pid pgid:pid
295 setpgid M res:pid
296 bpf C cmd:i64
297 bpf C res_or_fd:dyn@bpf
298 seccomp - op:u64 flags:u64x
299 seccomp - res:e
300 unlink -
301 unlink - res:e path:p
302 unlinkat -
303 unlinkat - res:e dirfd:fd name:rp@1 flags:f32x
304 mkdirat -
305 mkdirat - res:e dirfd:fd path:rp@1 mode:u32x
306 openat CM dirfd:fd name:rp@0 flags:f32x mode:u32o
307 openat CM fd:fd dirfd:fd name:rp@1 flags:f32x mode:u32o dev:u32x ino:u64
308 link -
309 link - res:e oldpath:p newpath:p
310 linkat -
311 linkat - res:e olddir:fd oldpath:rp@1 newdir:fd newpath:rp@3 flags:f32x
312 fchmodat -
313 fchmodat - res:e dirfd:fd filename:rp@1 mode:modeo
314 chmod -
315 chmod - res:e filename:p mode:modeo
316 fchmod -
317 fchmod - res:e fd:fd mode:modeo
318 renameat2 -
319 renameat2 - res:e olddirfd:fd oldpath:rp@1 newdirfd:fd newpath:rp@3 flags:f32x
320 userfaultfd CM
321 userfaultfd CM res:e flags:f32x
322 pluginevent L plugin_ID:u32 event_data:b
323 pluginevent N
324 container ML json:s
325 container N
326 openat2 CM dirfd:fd name:rp@0 flags:f32x mode:u32o resolve:f32x
327 openat2 CM fd:fd dirfd:fd name:rp@1 flags:f32x mode:u32o resolve:f32x dev:u32x ino:u64
328 mprotect - addr:u64x length:u64 prot:f32x
329 mprotect - res:e
330 execveat M dirfd:fd pathname:rp@0 flags:f32x
331 execveat M {EXEC20}
332 copy_file_range URW fdin:fd offin:u64 len:u64
333 copy_file_range URW res:e fdout:fd offout:u64
334 clone3 M
335 clone3 M {CLONE20}
336 open_by_handle_at CM
337 open_by_handle_at CM fd:fd mountfd:fd flags:f32x path:p dev:u32x ino:u64
338 io_uring_setup CM
339 io_uring_setup CM res:e entries:u32 sq_entries:u32 cq_entries:u32 flags:f32x \
sq_thread_cpu:u32 sq_thread_idle:u32 features:f32x
340 io_uring_enter UW
341 io_uring_enter UW res:e fd:fd to_submit:u32 min_complete:u32 flags:f32x sig:sset
342 io_uring_register UM
343 io_uring_register UM res:e fd:fd opcode:f16 arg:u64x nr_args:u32
344 mlock -
345 mlock - res:e addr:u64x len:u64
346 munlock -
347 munlock - res:e addr:u64x len:u64
348 mlockall -
349 mlockall - res:e flags:f32x
350 munlockall -
351 munlockall - res:e
352 capset M
353 capset M res:e cap_inheritable:u64x cap_permitted:u64x cap_effective:u64x
354 user_added SM uid:u32 gid:u32 name:s home:s shell:s container_id:s
355 user_added N
356 user_deleted SM uid:u32 gid:u32 name:s home:s shell:s container_id:s
357 user_deleted N
358 group_added SM gid:u32 name:s container_id:s
359 group_added N
360 group_deleted SM gid:u32 name:s container_id:s
361 group_deleted N
362 dup2 CUM fd:fd
363 dup2 CUM res:fd oldfd:fd newfd:fd
364 dup3 CUM fd:fd
365 dup3 CUM res:fd oldfd:fd newfd:fd flags:f32x
366 dup CUM fd:fd
367 dup CUM res:fd oldfd:fd
368 bpf C cmd:i64
369 bpf C fd:fd
370 mlock2 -
371 mlock2 - res:e addr:u64x len:u64 flags:u32
372 fsconfig -
373 fsconfig - res:e fd:fd cmd:ef32 key:s value_bytebuf:b value_charbuf:s aux:i32
374 epoll_create C size:i32
375 epoll_create C res:e
376 epoll_create1 C flags:f32x
377 epoll_create1 C res:e
378 chown -
379 chown - res:e path:p uid:u32 gid:u32
380 lchown -
381 lchown - res:e path:p uid:u32 gid:u32
382 fchown -
383 fchown - res:e fd:fd uid:u32 gid:u32
384 fchownat -
385 fchownat - res:e dirfd:fd pathname:rp@1 uid:u32 gid:u32 flags:f32x
386 umount -
387 umount - res:e name:p
388 accept4 CM flags:i32x
389 accept4 CM fd:fd tuple:st queuepct:u8 queuelen:u32 queuemax:u32
390 umount2 M flags:f32x
391 umount2 M res:e name:p
392 pipe2 CM
393 pipe2 CM res:e fd1:fd fd2:fd ino:u64 flags:f32x
394 inotify_init1 CM
395 inotify_init1 CM res:fd flags:f16x
396 eventfd2 CM initval:u64
397 eventfd2 CM res:fd flags:f16x
398 signalfd4 CM fd:fd mask:u32x
399 signalfd4 CM res:fd flags:f16x
400 prctl M
401 prctl M res:e option:ef32 arg2_str:s arg2_int:i64
402 asyncevent SL plugin_ID:u32 name:s data:b
403 NA N
404 memfd_create CM
405 memfd_create CM fd:fd name:s flags:f32x
406 pidfd_getfd CM
407 pidfd_getfd CM fd:fd pid_fd:fd target_fd:fd flags:u32
408 pidfd_open CM
409 pidfd_open CM fd:fd pid:pid flags:f32x
410 init_module -
411 init_module - res:e img:b length:u64 uargs:s
412 finit_module -
413 finit_module - res:e fd:fd uargs:s flags:f32x
414 mknod -
415 mknod - res:e path:p mode:modeo dev:u32
416 mknodat -
417 mknodat - res:e dirfd:fd path:rp@1 mode:modeo dev:u32
418 newfstatat -
419 newfstatat - res:e dirfd:fd path:rp@1 flags:f32x
420 process_vm_readv -
421 process_vm_readv - res:e pid:pid data:b
422 process_vm_writev -
423 process_vm_writev - res:e pid:pid data:b
424 delete_module -
425 delete_module - res:e name:s flags:f32x
"""
