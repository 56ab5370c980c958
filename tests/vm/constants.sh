# SPDX-License-Identifier: GPL-2.0-or-later
#
# The VM tests' machine, in one place. Sourced by the host side (host-lib.sh,
# mkinitramfs.sh, debian-image.sh) and by the guests' /init scripts, which
# find it in the initramfs at /etc/vmtest-constants.sh (mkinitramfs.sh puts
# it there, beside guest-lib.sh). POSIX sh: the guests run busybox.

# The machine QEMU emulates (TCG): memory, and the vCPUs a test uses
# unless it is told otherwise (lifecycle.sh --cpus, BENCH_VM_CPUS).
VM_MEMORY=1G
VM_CPUS=2

# The serial console the host reads, and a panic that restarts the machine
# (RAM, and the persistent ring buffer in it, survive QEMU's reset). A
# kernel booted directly gets "$VM_CONSOLE_ARG <test's arguments>
# $VM_PANIC_ARG"; an image's owner settings (GRUB's
# GRUB_CMDLINE_LINUX_DEFAULT, /etc/kernel/cmdline) are $VM_OWNER_CMDLINE,
# and GRUB talks on the same serial port.
VM_CONSOLE_ARG=console=ttyS0
VM_PANIC_ARG=panic=1
VM_OWNER_CMDLINE="$VM_CONSOLE_ARG $VM_PANIC_ARG"
VM_GRUB_SERIAL="serial --unit=0 --speed=115200"

# The instances the tests configure (bootrace's own defaults), and the
# events they trace.
VM_PERSISTENT=boot_map
VM_BACKUP=backup
VM_EVENTS=sched,irq,timer

# Host-side limits of one QEMU run, in seconds: a hung guest is a failure,
# not a hang. A kernel booted directly (lifecycle.sh, crash.sh) takes
# ~30-60 s a run, boot 1 saving its decoder included, and over twice that
# on a busy 2-core machine; through a bootloader longer (SeaBIOS and GRUB,
# OVMF and systemd-boot, systemd as init); the benchmark's drains of 64 MiB
# longer still. QEMU gets VM_KILL_AFTER more seconds to stop after SIGTERM.
VM_TIMEOUT_KERNEL=240
VM_TIMEOUT_GRUB=300
VM_TIMEOUT_SDBOOT=360
VM_TIMEOUT_SYSTEMD=300
VM_TIMEOUT_BENCH=600
VM_KILL_AFTER=10

# The result disk: a raw NVMe disk (built into every Debian cloud kernel
# from 6.12 on) that the guest finds at VM_DISK. Its first 512 bytes hold
# "boot=N", the number of boots so far; a tar of the guest's VM_OUT
# starts at VM_TAR_OFFSET_MB. VM_DISK_MB is its size unless a test needs
# less.
VM_DISK=/dev/nvme0n1
VM_DISK_MB=512
VM_TAR_OFFSET_MB=1
VM_OUT=/out
# Boot 1 leaves bootrace's state directory there (a tar) for boot 2, whose
# results then replace it (guest-lib.sh, leave_state).
VM_STATE_OFFSET_MB=$VM_TAR_OFFSET_MB

# In the guest: where tracefs is mounted; how long to wait, in tenths of
# a second, for the result disk to appear and for a drained backup
# instance to remove itself (the kernel does it from a workqueue, ~100 ms
# after the last reference goes).
VM_TRACEFS=/sys/kernel/tracing
VM_DISK_WAIT_TENTHS=50
VM_BACKUP_GONE_TENTHS=30

# debian-image.sh sdboot's layout: a 64 MiB EFI system partition from
# sector 2048, the root file system after it. The MBR images' root file
# system starts at sector 2048.
SDBOOT_ESP_START=2048
SDBOOT_ROOT_START=$((2048 + 64 * 2048))
