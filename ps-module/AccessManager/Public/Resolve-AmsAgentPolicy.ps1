function Resolve-AmsAgentPolicy {
    <#
    .SYNOPSIS
    Shows which agent policy a device follows, and why. (Module addition.)

    .DESCRIPTION
    Evaluates the agent policies of a device's operating system as its check-in does and
    returns the policy that applies with its settings made concrete (farm-wide values filled in),
    a sentence saying why, and one step per policy considered (Applied, Disabled,
    NoMatchingTarget or NotReached).

    Runs `ams agent-policy resolve`.

    .PARAMETER DeviceId
    The id of the device. Binds from the DeviceId or Id property of piped objects.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsDevice.

    .OUTPUTS
    Ams.AgentPolicyResolution

    .EXAMPLE
    Get-AmsDevice -Name 'PC1' | Resolve-AmsAgentPolicy | Select-Object -ExpandProperty Reason

    Explains which policy PC1 follows.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams agent-policy resolve`.

    .LINK
    Get-AmsAgentPolicy
    #>
    [CmdletBinding()]
    [OutputType('Ams.AgentPolicyResolution')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [Alias('Id')]
        [ValidateNotNullOrEmpty()]
        [string] $DeviceId
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        $parameters = [ordered]@{ DeviceId = $DeviceId }
        Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'agent-policy resolve' -Parameters $parameters -Target $DeviceId | Add-AmsTypeName -TypeName 'Ams.AgentPolicyResolution'
    }

    end {
        Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue | Add-AmsTypeName -TypeName 'Ams.AgentPolicyResolution'
    }
}
