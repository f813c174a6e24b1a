"""Application permissions each operation needs (graph-facts §2 "Permissions", §3)."""

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
