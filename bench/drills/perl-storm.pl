#!/usr/bin/perl
# A store loop through the Perl client (MogileFS::Client from perl-MogileFS-Client, which the
# caller puts on @INC with -I; it is not part of this repository). Writes the same event files
# as mogstorm (acked.tsv, errors.tsv) so `mogstorm report` and `mogstorm verify` read them.
#   perl -I.../lib perl-storm.pl TRACKERS DOMAIN CLASS SIZE OUTDIR PREFIX STOPFILE
use strict;
use warnings;
use Time::HiRes ();
use IO::Handle;
use MogileFS::Client;

my ($trackers, $domain, $class, $size, $out, $prefix, $stop) = @ARGV;
die "usage: perl-storm.pl TRACKERS DOMAIN CLASS SIZE OUTDIR PREFIX STOPFILE\n" unless defined $stop;
my $mogc = MogileFS::Client->new(hosts => [split /,/, $trackers], domain => $domain);
open my $acked, '>>', "$out/acked.tsv" or die "$out/acked.tsv: $!";
open my $errors, '>>', "$out/errors.tsv" or die "$out/errors.tsv: $!";
$acked->autoflush(1);
$errors->autoflush(1);
sub ms { int(Time::HiRes::time() * 1000) }

for (my $n = 1; !-e $stop; $n++) {
    my $key = "$prefix/$n";
    my $unit = "$key\n";
    my $data = substr($unit x (int($size / length($unit)) + 1), 0, $size);
    my $start = ms();
    my $len = eval { $mogc->store_content($key, $class, $data) };
    my $end = ms();
    if (defined $len && $len == $size) {
        print $acked join("\t", $end, $start, 'perl', $key, $size, '-'), "\n";
    } else {
        my $why = $@ || $mogc->errstr || 'store_content returned nothing';
        $why =~ s/[\t\r\n]+/ /g;
        print $errors join("\t", $end, $start, 'perl', $key, 'error', $why), "\n";
        Time::HiRes::sleep(0.05);
    }
}
