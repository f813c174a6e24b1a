"""Application permissions each operation needs (docs/graph-contract.md, row 18)."""

AUTOPILOT_READ = (
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
)
GROUP_READ = (
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
GROUP_CREATE = ("Group.ReadWrite.All", "Group.Create", "Directory.ReadWrite.All")
GROUP_WRITE = ("Group.ReadWrite.All", "Directory.ReadWrite.All")
DEFAULT_GRANTED = ("DeviceManagementServiceConfig.Read.All", "Group.ReadWrite.All")
# Autopilot deployment profiles (beta) and their assignments (docs/graph-contract.md, row 36).
PROFILE_READ = AUTOPILOT_READ
PROFILE_WRITE = ("DeviceManagementServiceConfig.ReadWrite.All",)
# Enrollment configurations (the ESP): the docs also accept DeviceManagementConfiguration.*.
ENROLLMENT_READ = (
    *AUTOPILOT_READ,
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
)
ENROLLMENT_WRITE = (
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
)
# Group owners (group-list-owners.md: GroupMember.Read.All least privileged; adding and
# removing one: Group.ReadWrite.All, Directory.ReadWrite.All).
OWNER_READ = (
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
# What lets a caller see a service principal's properties in a directoryObject list.
APPLICATION_READ = (
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
# Deleted groups (directory-deleteditems-list/get: Group.Read.All; restore: Group.ReadWrite.All;
# a permanent delete: delegated Group.ReadWrite.All only, "Not supported" app-only).
DELETED_READ = GROUP_READ
DELETED_RESTORE = GROUP_WRITE
DELETED_PURGE = ("Group.ReadWrite.All",)
# Settings catalog configuration policies (beta): list/get and retrieve… need Read.All or
# ReadWrite.All; set… needs ReadWrite.All (the live page; the stored one lists Read.All).
CONFIGURATION_READ = (
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
)
CONFIGURATION_WRITE = ("DeviceManagementConfiguration.ReadWrite.All",)
