function Get-AmsAgentPolicy {
    <#
    .SYNOPSIS
    Lists agent policies, or finds one by id or name. (Module addition.)

    .DESCRIPTION
    Lists the agent policies of every operating system in evaluation order: each operating
    system's default policy (Order 0) first, then its custom policies (Order 1 is evaluated
    first). Each policy shows its targets, its settings and the entropy in bits of the password
    or passphrase it makes.

    Runs `ams agent-policy get`.

    .PARAMETER Id
    The id of a policy. Binds from the Id property of piped objects.

    .PARAMETER Name
    The name of a policy (ignoring case).

    .PARAMETER Os
    Only the policies of this operating system: windows, linux or macos.

    .INPUTS
    System.String. Any object with an Id property.

    .OUTPUTS
    Ams.AgentPolicy

    .EXAMPLE
    Get-AmsAgentPolicy -Os linux

    Lists the Linux default policy and the custom Linux policies in order.

    .EXAMPLE
    Get-AmsAgentPolicy -Name 'Linux servers' | Select-Object Name, EntropyBits

    Shows how strong the passwords of a policy are.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams agent-policy get`.

    .LINK
    New-AmsAgentPolicy
    #>
    [CmdletBinding(DefaultParameterSetName = 'GetByName')]
    [OutputType('Ams.AgentPolicy')]
    param(
        [Parameter(ParameterSetName = 'GetById', Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter(ParameterSetName = 'GetByName', Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter()]
        [ValidateSet('windows', 'linux', 'macos')]
        [string] $Os
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Id', 'Name', 'Os'
        $target = if ($PSCmdlet.ParameterSetName -eq 'GetById') { $Id } else { $Name }
        Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'agent-policy get' -Parameters $parameters -Target $target | Add-AmsTypeName -TypeName 'Ams.AgentPolicy'
    }

    end {
        Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue | Add-AmsTypeName -TypeName 'Ams.AgentPolicy'
    }
}
