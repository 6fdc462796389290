# shellcheck shell=bash
#
# mail.sh - the end-to-end helpers about mail itself: SMTP clients and
# their replies and reply times, the sink, the queue and the logs.
# Sourced by lib.sh (see its header for the list of helpers); needs the
# variables lib.sh sets up.

# --- SMTP clients --------------------------------------------------------------

# e2e_swaks ARGS... - run swaks against the instance; transcript in $E2E_TRANSCRIPT, status in $E2E_SWAKS_RC
e2e_swaks() {
	E2E_SWAKS_N=$((E2E_SWAKS_N + 1))
	e2e_log_mark
	E2E_TRANSCRIPT=$E2E_WORK/swaks.$E2E_NAME.$E2E_SWAKS_N.txt
	# stdin from /dev/null: swaks prompts for anything missing otherwise.
	timeout -k 5 $((E2E_SWAKS_TIMEOUT * 3)) \
		swaks --server 127.0.0.1 --port "$E2E_SMTP_PORT" \
		--timeout "$E2E_SWAKS_TIMEOUT" "$@" </dev/null >"$E2E_TRANSCRIPT" 2>&1
	E2E_SWAKS_RC=$?
	return 0
}

# e2e_reply STAGE[:N] [TRANSCRIPT] - print the server's final reply line to each (or the Nth) STAGE command
e2e_reply() {
	local stage=${1%%:*} nth=0
	[[ $1 == *:* ]] && nth=${1#*:}
	awk -v stage="$stage" -v nth="$nth" '
	# is_cmd - true if the client command CMD starts the wanted stage
	function is_cmd(cmd) {
		if (stage == "EHLO" || stage == "HELO") return cmd ~ /^(EHLO|HELO)( |$)/
		return index(cmd, stage) == 1 && substr(cmd, length(stage) + 1, 1) ~ /^([ :]|)$/
	}
	BEGIN { pending = (stage == "CONNECT"); count = pending }
	substr($0, 1, 4) == " -> " {
		if (indata) {		# message lines, up to the lone dot
			if ($0 != " -> .") next
			indata = 0
			if (stage == "DOT" || stage == "EOM") { pending = 1; count++ }
			next
		}
		cmd = toupper(substr($0, 5))
		if (cmd ~ /^DATA *$/) wantdata = 1
		if (is_cmd(cmd)) { pending = 1; count++ }
		next
	}
	/^<(-|\*\*) / {
		reply = $0
		sub(/^<(-|\*\*) +/, "", reply)
		if (reply ~ /^[0-9][0-9][0-9]-/) next	# not the last line yet
		if (wantdata) { indata = (reply ~ /^354/); wantdata = 0 }
		if (!pending) next
		if (nth == 0 || count == nth) print reply
		pending = 0
		if (stage == "CONNECT") exit
	}' "${2:-$E2E_TRANSCRIPT}"
}

# e2e_expect_reply STAGE[:N] REGEX [NAME] - assert every (or the Nth) reply to STAGE matches ^REGEX
e2e_expect_reply() {
	local stage=$1 want=$2 name=${3:-"$1 reply matches '$2'"} replies bad
	# Stages: CONNECT (the first greeting), EHLO/HELO, XCLIENT, MAIL, RCPT,
	# DATA, DOT (end of data), RSET, QUIT. No --pipeline in the transcript.
	replies=$(e2e_reply "$stage")
	bad=$(printf '%s\n' "$replies" | grep -vE "^($want)")
	if [ -z "$replies" ]; then
		e2e_not_ok "$name" "no reply to $stage in the transcript (swaks status $E2E_SWAKS_RC)"
	elif [ -n "$bad" ]; then
		e2e_not_ok "$name" "got: $(printf '%s' "$bad" | head -n 1)" "want: ^$want"
	else
		e2e_ok "$name"
	fi
}

# e2e_re TEXT - print TEXT as an extended regex that matches it literally
e2e_re() {
	printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'
}

# e2e_expect_reply_is STAGE[:N] TEXT [NAME] - assert every (or the Nth) reply to STAGE is exactly TEXT
e2e_expect_reply_is() {
	e2e_expect_reply "$1" "$(e2e_re "$2")\$" "${3:-"$1 reply is '$2'"}"
}

# _e2e_sendmail_submit FROM TO... - feed stdin to sendmail -C $E2E_CONF, then flush the queue
_e2e_sendmail_submit() {
	local from=$1 rc
	shift
	e2e_log_mark
	timeout -k 5 30 sendmail -C "$E2E_CONF" -i -f "$from" -- "$@"
	rc=$?
	# shellcheck disable=SC2034 # for the tests to inspect
	E2E_SENDMAIL_RC=$rc
	postqueue -c "$E2E_CONF" -f >/dev/null 2>&1
	if [ "$rc" -ne 0 ]; then
		e2e_not_ok "sendmail -C $E2E_CONF accepts the message" "sendmail exit status $rc"
		return 1
	fi
}

# e2e_sendmail MARKER FROM TO... - submit a small message (Subject: MARKER) through sendmail(1)
e2e_sendmail() {
	local marker=$1 from=$2
	shift 2
	{
		printf 'From: <%s>\n' "$from"
		printf 'To: %s\n' "$(printf '<%s>, ' "$@" | sed 's/, $//')"
		printf 'Subject: %s\n' "$marker"
		printf 'Date: %s\n' "$(LC_ALL=C date -R)"
		printf 'Message-ID: <%s@e2e.portcullis.test>\n' "$marker"
		printf '\nA test message submitted with sendmail(1).\n'
	} >"$E2E_WORK/sendmail.msg"
	# Not a pipe: _e2e_sendmail_submit sets E2E_SENDMAIL_RC and the log
	# marks, which a pipeline's subshell would lose.
	_e2e_sendmail_submit "$from" "$@" <"$E2E_WORK/sendmail.msg"
}

# e2e_sendmail_raw FROM TO... - submit the message on stdin through sendmail(1)
e2e_sendmail_raw() {
	_e2e_sendmail_submit "$@"
}

# _e2e_smtp_begin - next transcript file, log windows start here
_e2e_smtp_begin() {
	E2E_SWAKS_N=$((E2E_SWAKS_N + 1))
	e2e_log_mark
	E2E_TRANSCRIPT=$E2E_WORK/smtp.$E2E_NAME.$E2E_SWAKS_N.txt
}

# e2e_smtp - run the SMTP dialogue script on stdin (see smtp-dialog.py); transcript as e2e_swaks
e2e_smtp() {
	_e2e_smtp_begin
	timeout -k 5 $((E2E_SWAKS_TIMEOUT * 3)) python3 "$E2E_DIR/smtp-dialog.py" \
		127.0.0.1 "$E2E_SMTP_PORT" "$E2E_SWAKS_TIMEOUT" >"$E2E_TRANSCRIPT" 2>&1
	E2E_SWAKS_RC=$?
	return 0
}

# e2e_smtp_bg - e2e_smtp in the background (pid in $E2E_SMTP_PID); finish with e2e_smtp_wait
e2e_smtp_bg() {
	_e2e_smtp_begin
	# A background job's stdin is /dev/null unless redirected: keep the script.
	cat >"$E2E_TRANSCRIPT.in"
	timeout -k 5 $((E2E_SWAKS_TIMEOUT * 3)) python3 "$E2E_DIR/smtp-dialog.py" \
		127.0.0.1 "$E2E_SMTP_PORT" "$E2E_SWAKS_TIMEOUT" <"$E2E_TRANSCRIPT.in" >"$E2E_TRANSCRIPT" 2>&1 &
	E2E_SMTP_PID=$!
}

# e2e_smtp_wait - wait for the e2e_smtp_bg client (bounded by its own timeout); status in $E2E_SWAKS_RC
e2e_smtp_wait() {
	wait "$E2E_SMTP_PID"
	E2E_SWAKS_RC=$?
	E2E_SMTP_PID=
}

# e2e_milter_alive - true while the supervisor ($E2E_MILTER_PID) and a worker run
e2e_milter_alive() {
	_e2e_alive "${E2E_MILTER_PID:-}" && [ -n "$(e2e_milter_worker_pid)" ]
}

# e2e_milter_worker_pid - print the pid of the worker (the supervisor's child), if any
e2e_milter_worker_pid() {
	[ -n "${E2E_MILTER_PID:-}" ] || return 1
	ps -o pid=,stat= --ppid "$E2E_MILTER_PID" | awk '$2 !~ /^Z/ { print $1; found = 1; exit } END { exit !found }'
}

# e2e_milter_reload - SIGHUP the supervisor; wait (bounded) for its verdict; true on "reload ok"
e2e_milter_reload() {
	local mark
	mark=$(_e2e_size "$E2E_MILTER_LOG")
	E2E_MILTER_LOG_MARK=$mark
	E2E_MAILLOG_MARK=$(_e2e_size "$E2E_MAILLOG")
	kill -HUP "$E2E_MILTER_PID" 2>/dev/null || return 1
	_e2e_wait_until 5 _e2e_log_since "$E2E_MILTER_LOG" "$mark" 'reload (ok|failed)' &&
		_e2e_log_since "$E2E_MILTER_LOG" "$mark" 'reload ok$'
}

# e2e_reconfigure NAME - write the portcullis config from stdin, SIGHUP, assert "reload ok"
e2e_reconfigure() {
	e2e_write_conf
	if e2e_milter_reload; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "no 'reload ok' in $E2E_MILTER_LOG"
	fi
}

# e2e_postqueue - print "postqueue -p" of the instance
e2e_postqueue() {
	postqueue -c "$E2E_CONF" -p 2>&1
}

# --- reply times -------------------------------------------------------------
# For the deadlines of DNS lookups. An upper bound is the deadline plus
# E2E_SLACK_MS, so that a loaded machine (load average 10, sanitizers)
# does not fail it: what it proves is that the wait is bounded by the
# deadline, not by Postfix's milter timeout (30 s). A lower bound needs
# no slack: it proves the deadline was waited for.
: "${E2E_SLACK_MS:=4000}"

# lapse_ms STAGE - milliseconds swaks waited for the reply to STAGE's command (MAIL, RCPT, "." for the end of data), from the last transcript
lapse_ms() {
	awk -v stage="$1" '
	substr($0, 1, 4) == " -> " { cmd = toupper(substr($0, 5)); want = (index(cmd, stage) == 1) }
	want && /^=== response in [0-9.]+s$/ {
		v = $4; sub(/s$/, "", v); printf "%d\n", v * 1000; exit
	}' "$E2E_TRANSCRIPT"
}

# expect_within NAME MS DEADLINE - assert MS <= DEADLINE + E2E_SLACK_MS
expect_within() {
	local limit=$(($3 + E2E_SLACK_MS))
	if [ -n "$2" ] && [ "$2" -le "$limit" ]; then
		e2e_ok "$1 (${2} ms <= $3 ms + slack)"
	else
		e2e_not_ok "$1" "took ${2:-?} ms, limit $3 ms + ${E2E_SLACK_MS} ms slack"
	fi
}

# expect_at_least NAME MS FLOOR - assert MS >= FLOOR
expect_at_least() {
	if [ -n "$2" ] && [ "$2" -ge "$3" ]; then
		e2e_ok "$1 (${2} ms >= $3 ms)"
	else
		e2e_not_ok "$1" "took ${2:-?} ms, expected at least $3 ms"
	fi
}

# --- the sink ------------------------------------------------------------------

# _e2e_sink_open_files - print the paths smtp-sink holds open (messages still arriving)
_e2e_sink_open_files() {
	local fd
	for fd in /proc/"$E2E_SINK_PID"/fd/*; do
		readlink "$fd" 2>/dev/null
	done
}

# e2e_sink_file MARKER - print the path of each complete sink file whose header block contains MARKER
e2e_sink_file() {
	local f open found=1
	open=$(_e2e_sink_open_files)
	for f in "$E2E_SINK_DIR"/*; do
		[ -f "$f" ] || continue
		# Only the top header block: a bounce quotes the original headers.
		awk 'NF == 0 { exit } { print }' "$f" | grep -qF -- "$1" || continue
		grep -qxF -- "$f" <<<"$open" && continue
		printf '%s\n' "$f"
		found=0
	done
	return $found
}

# _e2e_has_sink_file MARKER - true if a complete sink file for MARKER exists
_e2e_has_sink_file() {
	e2e_sink_file "$1" >/dev/null
}

# e2e_expect_delivered MARKER [NAME] - assert a message with MARKER reaches the sink in time
e2e_expect_delivered() {
	local name=${2:-"delivered to the sink: $1"}
	if _e2e_wait_until "$E2E_DELIVERY_TIMEOUT" _e2e_has_sink_file "$1"; then
		e2e_ok "$name"
	else
		e2e_not_ok "$name" "no sink file with '$1' after ${E2E_DELIVERY_TIMEOUT}s" \
			"queue: $(postqueue -c "$E2E_CONF" -j 2>&1 | head -c 600)"
	fi
}

# _e2e_queue_busy - true while a message is in the incoming or active queue
_e2e_queue_busy() {
	postqueue -c "$E2E_CONF" -j 2>/dev/null | grep -qE '"queue_name": *"(incoming|active)"'
}

# _e2e_queue_idle - true when nothing is in the incoming or active queue
_e2e_queue_idle() {
	! _e2e_queue_busy
}

# e2e_settle - wait (bounded) until nothing is in flight inside Postfix
e2e_settle() {
	sleep 0.3
	_e2e_wait_until "$E2E_SETTLE_TIMEOUT" _e2e_queue_idle
}

# e2e_expect_not_delivered MARKER [NAME] - assert, once the queue settles, that no message with MARKER reached the sink
e2e_expect_not_delivered() {
	local name=${2:-"not delivered to the sink: $1"} files
	e2e_settle
	files=$(e2e_sink_file "$1")
	if [ -z "$files" ]; then
		e2e_ok "$name"
	else
		e2e_not_ok "$name" "found: $files"
	fi
}

# e2e_queue_count QUEUE - print how many messages are in Postfix queue QUEUE (maildrop, deferred, hold...)
e2e_queue_count() {
	postqueue -c "$E2E_CONF" -j 2>/dev/null | grep -cE "\"queue_name\": *\"$1\""
}

# _e2e_size FILE - print the size of FILE in bytes (0 if missing)
_e2e_size() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

# e2e_log_mark - start the maillog and portcullis log windows of the e2e_expect_*_log helpers here
e2e_log_mark() {
	E2E_MAILLOG_MARK=$(_e2e_size "$E2E_MAILLOG")
	E2E_MILTER_LOG_MARK=$(_e2e_size "$E2E_MILTER_LOG")
}

# _e2e_log_since FILE MARK REGEX - true if FILE, from byte MARK on, has a line matching REGEX
_e2e_log_since() {
	tail -c +"$(($2 + 1))" "$1" 2>/dev/null | grep -qE -- "$3"
}

# e2e_expect_maillog REGEX [NAME] - assert the Postfix log gets a line matching REGEX in time (since the last client action)
e2e_expect_maillog() {
	local name=${2:-"maillog matches '$1'"}
	if _e2e_wait_until 5 _e2e_log_since "$E2E_MAILLOG" "${E2E_MAILLOG_MARK:-0}" "$1"; then
		e2e_ok "$name"
	else
		e2e_not_ok "$name" "no line matching '$1' in $E2E_MAILLOG"
	fi
}

# e2e_expect_no_milter_log REGEX [NAME] - assert, once the queue settles, no portcullis log line since the last client action matches REGEX
e2e_expect_no_milter_log() {
	local name=${2:-"portcullis log has no '$1'"} hits
	e2e_settle
	hits=$(tail -c +"$((${E2E_MILTER_LOG_MARK:-0} + 1))" "$E2E_MILTER_LOG" 2>/dev/null | grep -E -- "$1" | head -n 3)
	if [ -z "$hits" ]; then
		e2e_ok "$name"
	else
		e2e_not_ok "$name" "$hits"
	fi
}

# e2e_sink_headers FILE - print the header block of a sink file (envelope lines included)
e2e_sink_headers() {
	awk 'NF == 0 { exit } { print }' "$1"
}

# e2e_expect_milter_log REGEX [NAME] - assert the portcullis log gets a line matching REGEX in time (since the last client action)
e2e_expect_milter_log() {
	local name=${2:-"portcullis log matches '$1'"}
	if _e2e_wait_until 5 _e2e_log_since "$E2E_MILTER_LOG" "${E2E_MILTER_LOG_MARK:-0}" "$1"; then
		e2e_ok "$name"
	else
		e2e_not_ok "$name" "no line matching '$1' in $E2E_MILTER_LOG"
	fi
}
