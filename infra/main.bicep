// The Autopilot group manager in one resource group: a Python Function App (3.13 by default) on
// the Flex Consumption plan, its storage account and queues, Application Insights with three log
// alerts, and one user-assigned managed identity for everything it reaches (Graph, storage,
// Application Insights).
//
// No key or secret exists anywhere: the storage account refuses shared keys, every connection is
// identity-based (AzureWebJobsStorage__*), Application Insights refuses ingestion without Entra
// authentication, and publishing credentials (FTP, SCM basic auth) are off. Graph permissions are
// granted to the identity afterwards with `python -m shared grant-permissions` (README, Deploy).
//
// One switch, vnetEnabled (azd: VNET_ENABLED), puts the app into a virtual network and closes the
// storage account's public endpoint (docs/private-networking.md): private endpoints for blob and
// queue with their private DNS zones, the app integrated into a delegated subnet, no inbound
// private endpoint on the app. Off by default: then the network is as it always was.
//
// Deploy with `azd up`, or `az deployment group create -g <rg> -f infra/main.bicep -p environmentName=<name>`.
// tools/check_infra.py scans this file with checkov once per infra/scan/*.parameters.json.

targetScope = 'resourceGroup'

// --- names and region ---

@description('Short name for this deployment (the azd environment name); resource names derive from it.')
@minLength(2)
@maxLength(16)
param environmentName string

@description('Region. Must offer the Flex Consumption plan: az functionapp list-flexconsumption-locations.')
param location string = resourceGroup().location

@description('Function app name (default: func-<environmentName>-<6 characters unique to the resource group>).')
param functionAppName string = ''

@description('Storage account name, 3-24 lowercase letters and digits (default: derived).')
param storageAccountName string = ''

@description('User-assigned managed identity name (default: id-<environmentName>). This is the identity to grant Graph permissions to.')
param identityName string = ''

@description('Application Insights name (default: appi-<environmentName>).')
param appInsightsName string = ''

@description('Log Analytics workspace name (default: log-<environmentName>).')
param logAnalyticsName string = ''

@description('Flex Consumption plan name (default: plan-<environmentName>).')
param planName string = ''

// --- the runtime ---

@description('Python version of the app. The app supports 3.11, 3.12 and 3.13; what a region offers on Flex Consumption: az functionapp list-flexconsumption-runtimes --location <region> --runtime python.')
@allowed(['3.11', '3.12', '3.13'])
param pythonVersion string = '3.13'

// --- what the app does (each one an app setting; defaults are the app's own) ---

@description('RUN_MODE: plan (observe and plan, write nothing to Graph) or apply. A first deployment runs in plan mode.')
@allowed(['plan', 'apply'])
param runMode string = 'plan'

@description('APPROVE_PLAN: the digest of a reviewed plan that may exceed MAX_NEW_GROUPS_PER_RUN (empty: none).')
param approvePlan string = ''

@description('RECONCILE_SCHEDULE: the timer\'s NCRONTAB schedule (six fields).')
param reconcileSchedule string = '0 */15 * * * *'

@description('DRIFT_POLICY: report, or repair, managed groups changed by hand.')
@allowed(['report', 'repair'])
param driftPolicy string = 'report'

@description('DELETED_GROUP_POLICY: restore, or only report, a managed group someone deleted.')
@allowed(['restore', 'report'])
param deletedGroupPolicy string = 'restore'

@description('SCENARIO_FILE: path of the scenario catalogue inside the deployed package (empty: the shipped shared/scenarios.json).')
param scenarioFile string = ''

@description('MAX_NEW_GROUPS_PER_RUN: the safety valve (0-15000).')
@minValue(0)
@maxValue(15000)
param maxNewGroupsPerRun int = 25

@description('PURCHASE_ORDER_GROUPS: also one group per purchase order id.')
@allowed(['true', 'false'])
param purchaseOrderGroups string = 'false'

@description('ALL_DEVICES_GROUP: the all-Autopilot-devices group.')
@allowed(['true', 'false'])
param allDevicesGroup string = 'true'

@description('GRAPH_BASE_URL: Microsoft Graph endpoint (a national cloud\'s, if needed).')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('REQUEST_QUEUE: the queue requests arrive on; its poison queue is <name>-poison.')
@minLength(3)
@maxLength(56)
param requestQueueName string = 'autopilot-group-requests'

@description('RESULT_QUEUE: the queue answers are written to.')
@minLength(3)
@maxLength(63)
param resultQueueName string = 'autopilot-group-results'

@description('GRAPH_MAX_RETRIES: retries per Graph request (0-10).')
@minValue(0)
@maxValue(10)
param graphMaxRetries int = 5

@description('GRAPH_RETRY_DELAY_SECONDS: base backoff delay in seconds (0-60, may be fractional).')
param graphRetryDelaySeconds string = '2'

@description('Pause the timer (the reconcile) without stopping the app (azd: PAUSE_RECONCILE=true).')
param pauseReconcile bool = false

@description('Pause the queue function: requests wait in the queue (for up to 7 days, the queue\'s message lifetime). azd: PAUSE_REQUESTS=true.')
param pauseRequests bool = false

// --- the ticketing system ---

@description('Object id of the ticketing system\'s identity (service principal, managed identity, user or group): it may send to the request queue and read and delete on the result queue. Empty: none.')
param ticketingPrincipalId string = ''

@allowed(['ServicePrincipal', 'User', 'Group'])
param ticketingPrincipalType string = 'ServicePrincipal'

// --- run reports and alerts ---

@description('Object id of someone who may read the stored run reports (python -m shared report): Storage Blob Data Reader on the report container only. Empty: none.')
param reportReaderPrincipalId string = ''

@allowed(['User', 'Group', 'ServicePrincipal'])
param reportReaderPrincipalType string = 'User'

@description('Email address the alerts are sent to (empty: the alerts still fire and show in Azure Monitor, but nobody is mailed).')
param alertEmail string = ''

// --- private networking (docs/private-networking.md) ---

@description('Put the app into a virtual network and close the storage account\'s public endpoint: blob and queue private endpoints, the app integrated into a subnet delegated to Microsoft.App/environments. azd: VNET_ENABLED.')
param vnetEnabled bool = false

@description('With vnetEnabled: comma-separated public IPv4 addresses or CIDR ranges (producers outside the network, e.g. a SaaS ticketing system\'s egress) let through the storage firewall; the account\'s public endpoint then stays on for them only. Ignored without vnetEnabled (the account is open then). azd: ALLOWED_IP_RANGES.')
param allowedIpRanges string = ''

@description('With vnetEnabled: resource id of an existing virtual network to use instead of creating one (it must be in the app\'s region and hold the two subnets named below). Empty: create vnet-<environmentName>.')
param existingVnetId string = ''

@description('Name of the virtual network the template creates (default: vnet-<environmentName>).')
param vnetName string = ''

@description('Address space of the virtual network the template creates.')
param vnetAddressPrefix string = '10.70.0.0/23'

@description('The app\'s integration subnet: its name (created, or in the existing network, delegated to Microsoft.App/environments).')
param appSubnetName string = 'snet-app'

@description('Address range of the integration subnet the template creates (Flex Consumption takes its instances\' addresses from it).')
param appSubnetPrefix string = '10.70.0.0/24'

@description('The private endpoints\' subnet: its name (created, or in the existing network).')
param privateEndpointSubnetName string = 'snet-private-endpoints'

@description('Address range of the private endpoint subnet the template creates.')
param privateEndpointSubnetPrefix string = '10.70.1.0/26'

@description('Resource id of an existing privatelink.blob private DNS zone (e.g. a hub\'s) to register the blob endpoint in. Empty: create the zone here and link it to the network.')
param blobPrivateDnsZoneId string = ''

@description('Resource id of an existing privatelink.queue private DNS zone to register the queue endpoint in. Empty: create the zone here and link it to the network.')
param queuePrivateDnsZoneId string = ''

// --- scale ---

@description('Flex Consumption: most instances the app may scale out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Flex Consumption: memory per instance (MB).')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

param tags object = {}

var token = toLower(uniqueString(resourceGroup().id, environmentName))
var names = {
  app: !empty(functionAppName) ? functionAppName : 'func-${environmentName}-${take(token, 6)}'
  storage: !empty(storageAccountName) ? storageAccountName : 'stapg${take(token, 13)}'
  identity: !empty(identityName) ? identityName : 'id-${environmentName}'
  appInsights: !empty(appInsightsName) ? appInsightsName : 'appi-${environmentName}'
  logAnalytics: !empty(logAnalyticsName) ? logAnalyticsName : 'log-${environmentName}'
  plan: !empty(planName) ? planName : 'plan-${environmentName}'
  vnet: !empty(vnetName) ? vnetName : 'vnet-${environmentName}'
  appSubnetNsg: 'nsg-${environmentName}-app'
  privateEndpointSubnetNsg: 'nsg-${environmentName}-private-endpoints'
  actionGroup: 'ag-${environmentName}'
  alertFailedRun: 'alert-${environmentName}-failed-run'
  alertFailedAnswer: 'alert-${environmentName}-failed-answer'
  alertPoisoned: 'alert-${environmentName}-poisoned'
}
var deploymentContainerName = 'app-package-${take(token, 7)}'
var reportContainerName = 'autopilot-group-reports'
var poisonQueueName = '${requestQueueName}-poison'
var allTags = union(tags, { 'azd-env-name': environmentName })

// Built-in role definition ids, from Microsoft's list of Azure built-in roles.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  storageQueueDataMessageProcessor: '8a0f0c08-91a1-4084-bc3d-661d67233fed'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// The switch, spelled out once. Conditions stay names, !, && and empty(): tools/check_infra.py
// decides them to scan both ways (checkov does not evaluate expressions).
var createVnet = vnetEnabled && empty(existingVnetId)
var createBlobDnsZone = vnetEnabled && empty(blobPrivateDnsZoneId)
var createQueueDnsZone = vnetEnabled && empty(queuePrivateDnsZoneId)
// Storage's public endpoint is off only when nobody outside the network needs it.
var storagePrivateOnly = vnetEnabled && empty(allowedIpRanges)
var allowedIpRangeList = empty(allowedIpRanges) ? [] : split(allowedIpRanges, ',')
var storageIpRules = [for ipRange in allowedIpRangeList: { value: trim(ipRange), action: 'Allow' }]
var vnetId = empty(existingVnetId) ? resourceId('Microsoft.Network/virtualNetworks', names.vnet) : existingVnetId
var appSubnetId = '${vnetId}/subnets/${appSubnetName}'
var privateEndpointSubnetId = '${vnetId}/subnets/${privateEndpointSubnetName}'
var privateDnsZoneNames = {
  blob: 'privatelink.blob.${environment().suffixes.storage}'
  queue: 'privatelink.queue.${environment().suffixes.storage}'
}
var blobDnsZoneId = createBlobDnsZone ? resourceId('Microsoft.Network/privateDnsZones', privateDnsZoneNames.blob) : blobPrivateDnsZoneId
var queueDnsZoneId = createQueueDnsZone ? resourceId('Microsoft.Network/privateDnsZones', privateDnsZoneNames.queue) : queuePrivateDnsZoneId

// The three alerts' queries, in one place: tests/unit/test_infra.py reads them, and the app's log
// lines begin with exactly these literals.
var alertQueries = {
  failedRun: 'union (traces | where message startswith "reconcile run failed" or message startswith "reconcile run unsafe"), (requests | where name == "reconcile_groups" and success == false)'
  failedAnswer: 'traces | where message startswith "request answered: failed"'
  poisoned: 'traces | where message startswith "request poisoned"'
}

// --- identity ---

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.identity
  location: location
  tags: allTags
}

// --- storage: host state, deployment packages, the three queues, run reports; shared keys refused ---

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip-in-vnet-off=CKV_AZURE_35:With vnetEnabled off the network rules stay open, as before the switch existed: the app (Flex Consumption without VNet integration), the ticketing system and deployments reach the account over its public endpoint; every request is Entra-authenticated and shared keys are off. vnetEnabled=true denies by default (scan vnet-on, where this check passes).
  // checkov:skip-in-vnet-off=CKV_AZURE_59:With vnetEnabled off the public endpoint stays on (the app outside any network reaches it); access is Entra-only with shared keys off. vnetEnabled=true turns it off unless allowedIpRanges names producers (scan vnet-on, where this check passes).
  // checkov:skip-in-vnet-on=CKV_AZURE_36:No trusted-services bypass on purpose: with the VNet on the app and its deployments reach the account through the private endpoints and producers through them or allowedIpRanges, so nothing here relies on a bypass; a producer that does (Event Grid delivering to a queue) would widen it for every trusted Azure service.
  // checkov:skip=CKV_AZURE_206:No geo-replication: the account holds queue messages that live minutes, the host's locks and the deployment package of an app in one region; a geo copy serves only after a storage failover, when the app is down too. Choose Standard_GRS if requests must outlive a regional loss.
  // checkov:skip=CKV_AZURE_43:The name is an expression checkov cannot evaluate: 'stapg' and 13 characters of uniqueString (lowercase letters and digits, 18 in all), or storageAccountName; tests/unit/test_infra_scan.py checks the derived form.
  name: names.storage
  location: location
  tags: allTags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowCrossTenantReplication: false
    // Off: open, as Azure's defaults are. On: deny by default with no bypass; the public endpoint
    // stays on only for the addresses in allowedIpRanges.
    publicNetworkAccess: storagePrivateOnly ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: vnetEnabled ? 'Deny' : 'Allow'
      bypass: vnetEnabled ? 'None' : 'AzureServices'
      ipRules: vnetEnabled ? storageIpRules : []
      virtualNetworkRules: []
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

// The app stores every timer run's report here (it creates the container too, if it is missing).
resource reportContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: reportContainerName
  properties: { publicAccess: 'None' }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource requestQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: requestQueueName
}

resource resultQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: resultQueueName
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: poisonQueueName
}

// The app's identity on the account. Blob Data Owner: the host's blob leases (the timer's
// singleton lock), the deployment package, the app's assignment history and per-ESP locks
// (container autopilot-groups) and its run reports. Queue Data Contributor: the queue trigger
// (read, process), the output binding and the app's own write of a last-delivery answer (add), and
// the host's creation of the poison queue; it includes the Reader, Message Processor and Message
// Sender roles the Functions documentation lists for a trigger and an output.
resource appBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource appQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The ticketing system: send requests; peek, receive and delete answers. Nothing else
// (Message Processor includes peeking, so Storage Queue Data Reader is not needed).
resource ticketingSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(ticketingPrincipalId)) {
  name: guid(requestQueue.id, ticketingPrincipalId, roles.storageQueueDataMessageSender)
  scope: requestQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
    principalId: ticketingPrincipalId
    principalType: ticketingPrincipalType
  }
}

resource ticketingProcessor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(ticketingPrincipalId)) {
  name: guid(resultQueue.id, ticketingPrincipalId, roles.storageQueueDataMessageProcessor)
  scope: resultQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageProcessor)
    principalId: ticketingPrincipalId
    principalType: ticketingPrincipalType
  }
}

// An admin who reads the run reports (python -m shared report): read on that container, nothing else.
resource reportReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(reportReaderPrincipalId)) {
  name: guid(reportContainer.id, reportReaderPrincipalId, roles.storageBlobDataReader)
  scope: reportContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
    principalId: reportReaderPrincipalId
    principalType: reportReaderPrincipalType
  }
}

// --- private networking (vnetEnabled): subnets, private endpoints, private DNS ---

// The integration subnet: the app only calls out (storage through the private endpoints, Graph,
// Entra and Application Insights over HTTPS), nothing calls in. The explicit allow keeps storage
// reachable when a landing zone adds deny rules behind it (azure-functions-host#10620: isolated
// Flex apps needed NSG rules between the app and the storage endpoints to deploy).
resource appSubnetNsg 'Microsoft.Network/networkSecurityGroups@2023-11-01' = if (createVnet) {
  name: names.appSubnetNsg
  location: location
  tags: allTags
  properties: {
    securityRules: [
      {
        name: 'allow-storage-private-endpoints-out'
        properties: {
          description: 'The app to the storage account\'s blob and queue private endpoints (host state, package, queues).'
          direction: 'Outbound'
          access: 'Allow'
          priority: 100
          protocol: 'Tcp'
          sourceAddressPrefix: appSubnetPrefix
          sourcePortRange: '*'
          destinationAddressPrefix: privateEndpointSubnetPrefix
          destinationPortRange: '443'
        }
      }
    ]
  }
}

// The private endpoint subnet: HTTPS from inside the network (the app, a Logic App or a jump host
// in a peered network) and nothing else. privateEndpointNetworkPolicies makes the NSG apply.
resource privateEndpointSubnetNsg 'Microsoft.Network/networkSecurityGroups@2023-11-01' = if (createVnet) {
  name: names.privateEndpointSubnetNsg
  location: location
  tags: allTags
  properties: {
    securityRules: [
      {
        name: 'allow-https-from-network-in'
        properties: {
          description: 'HTTPS to the storage private endpoints from the virtual network and what is peered or connected to it.'
          direction: 'Inbound'
          access: 'Allow'
          priority: 100
          protocol: 'Tcp'
          sourceAddressPrefix: 'VirtualNetwork'
          sourcePortRange: '*'
          destinationAddressPrefix: privateEndpointSubnetPrefix
          destinationPortRange: '443'
        }
      }
      {
        name: 'deny-all-other-in'
        properties: {
          description: 'Nothing else reaches the private endpoints.'
          direction: 'Inbound'
          access: 'Deny'
          priority: 4000
          protocol: '*'
          sourceAddressPrefix: '*'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '*'
        }
      }
    ]
  }
}

// Subnets inline, so that a second deployment does not find them missing from the network.
resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' = if (createVnet) {
  name: names.vnet
  location: location
  tags: allTags
  properties: {
    addressSpace: { addressPrefixes: [vnetAddressPrefix] }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: appSubnetPrefix
          networkSecurityGroup: { id: appSubnetNsg.id }
          delegations: [
            {
              name: 'flex-consumption'
              properties: { serviceName: 'Microsoft.App/environments' }
            }
          ]
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          networkSecurityGroup: { id: privateEndpointSubnetNsg.id }
          privateEndpointNetworkPolicies: 'Enabled'
        }
      }
    ]
  }
}

resource blobDnsZone 'Microsoft.Network/privateDnsZones@2020-06-01' = if (createBlobDnsZone) {
  name: privateDnsZoneNames.blob
  location: 'global'
  tags: allTags
}

resource queueDnsZone 'Microsoft.Network/privateDnsZones@2020-06-01' = if (createQueueDnsZone) {
  name: privateDnsZoneNames.queue
  location: 'global'
  tags: allTags
}

resource blobDnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = if (createBlobDnsZone) {
  parent: blobDnsZone
  name: 'link-${environmentName}'
  location: 'global'
  tags: allTags
  properties: {
    registrationEnabled: false
    virtualNetwork: { id: vnetId }
  }
  dependsOn: [
    vnet
  ]
}

resource queueDnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = if (createQueueDnsZone) {
  parent: queueDnsZone
  name: 'link-${environmentName}'
  location: 'global'
  tags: allTags
  properties: {
    registrationEnabled: false
    virtualNetwork: { id: vnetId }
  }
  dependsOn: [
    vnet
  ]
}

// Blob: the deployment package, the host's locks, the app's ledger and reports. Queue: the
// trigger, the answers, the poison queue (MicrosoftDocs/azure-docs#97473). No table endpoint: the
// host only records its diagnostic events there, and stops doing so when the table service is
// out of reach (docs/private-networking.md); no file endpoint: Flex has no content share.
resource blobEndpoint 'Microsoft.Network/privateEndpoints@2023-11-01' = if (vnetEnabled) {
  name: 'pe-${names.storage}-blob'
  location: location
  tags: allTags
  properties: {
    subnet: { id: privateEndpointSubnetId }
    privateLinkServiceConnections: [
      {
        name: 'blob'
        properties: {
          privateLinkServiceId: storage.id
          groupIds: ['blob']
        }
      }
    ]
  }
  dependsOn: [
    vnet
  ]
}

resource queueEndpoint 'Microsoft.Network/privateEndpoints@2023-11-01' = if (vnetEnabled) {
  name: 'pe-${names.storage}-queue'
  location: location
  tags: allTags
  properties: {
    subnet: { id: privateEndpointSubnetId }
    privateLinkServiceConnections: [
      {
        name: 'queue'
        properties: {
          privateLinkServiceId: storage.id
          groupIds: ['queue']
        }
      }
    ]
  }
  dependsOn: [
    vnet
  ]
}

resource blobEndpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2023-11-01' = if (vnetEnabled) {
  parent: blobEndpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: 'blob'
        properties: { privateDnsZoneId: blobDnsZoneId }
      }
    ]
  }
  dependsOn: [
    blobDnsZone
  ]
}

resource queueEndpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2023-11-01' = if (vnetEnabled) {
  parent: queueEndpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: 'queue'
        properties: { privateDnsZoneId: queueDnsZoneId }
      }
    ]
  }
  dependsOn: [
    queueDnsZone
  ]
}

// --- monitoring: Entra-only ingestion, three log alerts ---

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: names.logAnalytics
  location: location
  tags: allTags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: names.appInsights
  location: location
  tags: allTags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

resource appMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

var adminEmailReceivers = [
  {
    name: 'admin'
    emailAddress: alertEmail
    useCommonAlertSchema: true
  }
]

// Created with or without an email: without one the alerts still fire and show under Azure
// Monitor > Alerts. The template owns the receivers: add one with ALERT_EMAIL, not in the portal.
resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: names.actionGroup
  location: 'Global'
  tags: allTags
  properties: {
    groupShortName: take('apg-${environmentName}', 12)
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : adminEmailReceivers
  }
}

// Each alert fires when its query finds a line in the window; a run every 15 minutes is
// evaluated every 15, a request's answer every 5 minutes. Events, not states: no auto-resolve.
resource alertFailedRun 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: names.alertFailedRun
  location: location
  tags: allTags
  kind: 'LogAlert'
  properties: {
    displayName: 'Autopilot groups: a timer run failed or was refused as unsafe'
    description: 'A reconcile run failed or exceeded MAX_NEW_GROUPS_PER_RUN; its report names the groups and, if unsafe, the digest to approve.'
    severity: 1
    enabled: true
    scopes: [appInsights.id]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: alertQueries.failedRun
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: { actionGroups: [actionGroup.id] }
  }
}

resource alertFailedAnswer 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: names.alertFailedAnswer
  location: location
  tags: allTags
  kind: 'LogAlert'
  properties: {
    displayName: 'Autopilot groups: a request was answered failed'
    description: 'A ticketing request could not be carried out; the answer on the result queue says why.'
    severity: 2
    enabled: true
    scopes: [appInsights.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: alertQueries.failedAnswer
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: { actionGroups: [actionGroup.id] }
  }
}

resource alertPoisoned 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: names.alertPoisoned
  location: location
  tags: allTags
  kind: 'LogAlert'
  properties: {
    displayName: 'Autopilot groups: a request message moved to the poison queue'
    description: 'A request message failed every delivery and now waits in the poison queue.'
    severity: 2
    enabled: true
    scopes: [appInsights.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: alertQueries.poisoned
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: { actionGroups: [actionGroup.id] }
  }
}

// --- the function app ---

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225:Flex Consumption offers zone redundancy in some regions only, and the work waits in queues: a zone outage delays requests and loses none. Set zoneRedundant on the plan where the region offers it.
  name: names.plan
  location: location
  tags: allTags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222:Public network access stays on for deployments, with the VNet on too: Flex Consumption deploys (azd, func, az functionapp deploy) through the SCM site's /api/publish, which Disabled blocks from outside a VNet, and an inbound private endpoint beside VNet integration makes Flex deployments time out (Azure/azure-functions#2635). The main site denies every caller instead (ipSecurityRestrictionsDefaultAction Deny); SCM takes Entra-authenticated deployments only.
  // checkov:skip=CKV_AZURE_212:Flex Consumption scales from zero on its own; always-ready instances shorten HTTP cold starts and the app has no HTTP trigger (queue and timer work waits in storage).
  // checkov:skip=CKV_AZURE_213:No HTTP endpoint to probe: the app has no HTTP trigger and its main site denies all inbound; the host's health shows in Application Insights.
  // checkov:skip=CKV_AZURE_78:Flex Consumption has no FTP endpoint and refuses siteConfig.ftpsState; FTP publishing credentials are off (basicPublishingCredentialsPolicies ftp).
  name: names.app
  location: location
  tags: union(allTags, { 'azd-service-name': 'app' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // The app has no HTTP trigger: nothing has to call it (the host pulls its queue and timer
    // triggers itself). Every caller of the main site is refused, and would need a client
    // certificate; deployments go to the SCM site, which neither rule covers.
    publicNetworkAccess: 'Enabled'
    clientCertEnabled: true
    clientCertMode: 'Required'
    // vnetEnabled: outbound through the integration subnet, all of it, so that the subnet's
    // NSG and routes apply to Graph and Entra traffic too (App Service's vnetRouteAllEnabled).
    virtualNetworkSubnetId: vnetEnabled ? appSubnetId : null
    vnetRouteAllEnabled: vnetEnabled
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
      ipSecurityRestrictionsDefaultAction: 'Deny'
      scmIpSecurityRestrictionsUseMain: false
      scmIpSecurityRestrictionsDefaultAction: 'Allow'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
  dependsOn: [
    vnet
  ]
}

// Every app setting, in one place (tests/unit/test_infra.py checks it against shared/settings.py).
// This resource owns the app's settings: a setting changed in the portal is reset by the next
// deployment, so change them through the parameters above.
var appSettings = {
  // The host's storage and the queue bindings (connection "AzureWebJobsStorage"), by identity.
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  // Application Insights, Entra-authenticated (the connection string alone grants nothing).
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  // The app's own settings (shared/settings.py).
  AZURE_CLIENT_ID: identity.properties.clientId
  GRAPH_BASE_URL: graphBaseUrl
  RUN_MODE: runMode
  APPROVE_PLAN: approvePlan
  RECONCILE_SCHEDULE: reconcileSchedule
  DRIFT_POLICY: driftPolicy
  DELETED_GROUP_POLICY: deletedGroupPolicy
  MAX_NEW_GROUPS_PER_RUN: string(maxNewGroupsPerRun)
  PURCHASE_ORDER_GROUPS: purchaseOrderGroups
  ALL_DEVICES_GROUP: allDevicesGroup
  SCENARIO_FILE: scenarioFile
  REQUEST_QUEUE: requestQueueName
  RESULT_QUEUE: resultQueueName
  GRAPH_MAX_RETRIES: string(graphMaxRetries)
  GRAPH_RETRY_DELAY_SECONDS: graphRetryDelaySeconds
  // Pausing one function without stopping the app (the host's documented switch).
  'AzureWebJobs.reconcile_groups.Disabled': pauseReconcile ? 'true' : 'false'
  'AzureWebJobs.scenario_request.Disabled': pauseRequests ? 'true' : 'false'
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov reads this app-settings resource (config 'appsettings') as the site's configuration:
  // checkov:skip=CKV_AZURE_13:App Service Authentication fronts HTTP requests; the app has no HTTP trigger and its main site denies all inbound.
  // checkov:skip=CKV_AZURE_63:HTTP logging is the web server log of a web app; this Python app on Flex Consumption logs to Application Insights.
  // checkov:skip=CKV_AZURE_65:Detailed error messages are web server error pages of a web app; there is no web page here, and errors go to Application Insights.
  // checkov:skip=CKV_AZURE_66:Failed request tracing is a web server trace of a web app; invocations and failures are traced in Application Insights.
  // checkov:skip=CKV_AZURE_80:.NET Framework version concerns .NET apps; this is a Python app.
  // checkov:skip=CKV_AZURE_88:Flex Consumption has no Azure Files content share: the package runs from a blob container.
  // checkov:skip=CKV_AZURE_222:Public network access is a property of the site (see functionApp), not of its app settings.
  parent: functionApp
  name: 'appsettings'
  properties: appSettings
  // The host starts with these settings: let it find its storage (through the private endpoints,
  // when vnetEnabled) and its monitoring rights.
  dependsOn: [
    appBlobOwner
    appQueueContributor
    appMetricsPublisher
    deploymentContainer
    reportContainer
    requestQueue
    resultQueue
    poisonQueue
    blobEndpointDns
    queueEndpointDns
    blobDnsLink
    queueDnsLink
  ]
}

// No publishing passwords: deployments authenticate with Entra.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: { allow: false }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: { allow: false }
}

// --- outputs (azd stores them in .azure/<env>/.env; the postprovision hook uses the first) ---

output AZURE_IDENTITY_PRINCIPAL_ID string = identity.properties.principalId
output AZURE_IDENTITY_CLIENT_ID string = identity.properties.clientId
output AZURE_IDENTITY_NAME string = identity.name
output AZURE_FUNCTION_APP_NAME string = functionApp.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.name
output AZURE_QUEUE_SERVICE_URI string = storage.properties.primaryEndpoints.queue
output AZURE_REPORT_CONTAINER_NAME string = reportContainer.name
output AZURE_APP_INSIGHTS_NAME string = appInsights.name
output AZURE_ACTION_GROUP_NAME string = actionGroup.name
output AZURE_ALERT_RULE_NAMES array = [
  alertFailedRun.name
  alertFailedAnswer.name
  alertPoisoned.name
]
output AZURE_VNET_ID string = vnetEnabled ? vnetId : ''
output REQUEST_QUEUE_NAME string = requestQueue.name
output RESULT_QUEUE_NAME string = resultQueue.name
output POISON_QUEUE_NAME string = poisonQueue.name
output GRANT_COMMAND string = 'python -m shared grant-permissions --identity ${identity.properties.principalId}'
