# conf.sed - contrib/portcullis.conf into the packaged
# /etc/portcullis/portcullis.conf: a Debian note under the title line,
# and milter_socket set to the socket the systemd unit may create and
# Debian's chrooted Postfix reaches. Every other key keeps its
# documented default, commented out.
1s|.*|# /etc/portcullis/portcullis.conf - portcullis configuration (Debian package)|
1a\
#\
# Debian: systemd runs "portcullis -f" (portcullis.service) as the user\
# portcullis, so "user" below changes nothing there and pid_file is not\
# needed. The socket's directory, /var/spool/postfix/portcullis, belongs\
# to portcullis and is setgid group postfix (tmpfiles.d/portcullis.conf):\
# the socket gets group postfix, and Postfix's chrooted smtpd and cleanup\
# reach it as "smtpd_milters = unix:/portcullis/portcullis.sock". The unit\
# may write nowhere else but /var/lib/portcullis/dmarc (dmarc_report_dir):\
# a unix socket or report data elsewhere needs "systemctl edit\
# portcullis" (ReadWritePaths=). After an edit: "portcullis -n", then\
# "systemctl reload portcullis". This file is readable by the group\
# portcullis only, as it may hold dqs_key.
/^#milter_socket = /a\
milter_socket = unix:/var/spool/postfix/portcullis/portcullis.sock
