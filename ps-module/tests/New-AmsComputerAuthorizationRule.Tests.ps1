#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of New-AmsComputerAuthorizationRule, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'New-AmsComputerAuthorizationRule' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'creates a rule for an ams group with repeated principal flags and a PowerShell TimeSpan' {
        $sid1 = 'S-1-5-21-1-2-3-1104'
        $sid2 = 'S-1-5-21-1-2-3-1105'
        $null = New-AmsComputerAuthorizationRule -AmsGroupId 'g-1' -PrincipalsAllowedLaps $sid1, $sid2 -LapsMaximumAccessDuration ([timespan]'1:00:00')
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly "computer-authorization-rule|new|--ams-group-id|g-1|--principals-allowed-laps|$sid1|--principals-allowed-laps|$sid2|--laps-maximum-access-duration|01:00:00"
    }

    It 'sends the expiry date in UTC' {
        $when = [datetime]::new(2030, 3, 1, 0, 0, 0, [System.DateTimeKind]::Utc)
        $null = New-AmsComputerAuthorizationRule -AdContainer 'OU=Devices,DC=corp,DC=example' -RuleExpiryDate $when
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'computer-authorization-rule|new|--ad-container|OU=Devices,DC=corp,DC=example|--rule-expiry-date|2030-03-01T00:00:00Z'
    }

    It 'needs the tenant for an Entra group target' {
        (Get-AmsParameterSet New-AmsComputerAuthorizationRule AadTenantId 'AadGroup').IsMandatory | Should -BeTrue
        (Get-AmsParameterSet New-AmsComputerAuthorizationRule AadGroupId 'AadGroup').IsMandatory | Should -BeTrue
    }

    It 'does not run ams under -WhatIf' {
        New-AmsComputerAuthorizationRule -AmsGroupId 'g-1' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'sends the approval settings, the switch as true' {
        $null = New-AmsComputerAuthorizationRule -AmsGroupId 'S-1-4096-2-1' -ApprovalRequired -Approvers 'S-1-5-21-1-2-3-1105=CORP\bob', 'S-1-5-21-1-2-3-1106' -ApprovalWaitDuration ([timespan]::FromHours(4)) -ApprovalAccessWindow ([timespan]::FromMinutes(30)) -Confirm:$false
        $argv = (Get-AmsStubCall).Argv -join '|'
        $argv | Should -BeLike '*|--approval-required|true|--approvers|S-1-5-21-1-2-3-1105=CORP\bob|--approvers|S-1-5-21-1-2-3-1106|*'
        $argv | Should -BeLike '*--approval-wait-duration|04:00:00|--approval-access-window|00:30:00*'
    }

}
