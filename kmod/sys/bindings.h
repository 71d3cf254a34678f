/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input of bindgen for the kernel APIs the 6.12 kernel crate has no bindings
 * for: SCSI host/command, sockets, misc device, crc32c. See bindgen_parameters
 * for what is generated.
 */
#include <linux/capability.h>
#include <linux/crc32c.h>
#include <linux/miscdevice.h>
#include <linux/net.h>
#include <net/sock.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>
#include "shim.h"
