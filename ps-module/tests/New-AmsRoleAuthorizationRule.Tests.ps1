#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of New-AmsRoleAuthorizationRule, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'New-AmsRoleAuthorizationRule' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'creates a role with the mandatory parameters' {
        $sid = 'S-1-5-21-1-2-3-2001'
        $null = New-AmsRoleAuthorizationRule -Name 'Prod admin' -GroupName 'CORP\Prod-Admins' -MaximumAccessDuration ([timespan]'8:30:00') -PrincipalsAllowedJit $sid
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly "role-authorization-rule|new|--name|Prod admin|--principals-allowed-jit|$sid|--group-name|CORP\Prod-Admins|--maximum-access-duration|08:30:00"
    }

    It 'requires -MaximumAccessDuration' {
        (Get-AmsParameterSet New-AmsRoleAuthorizationRule MaximumAccessDuration).IsMandatory | Should -BeTrue
    }

    It 'does not run ams under -WhatIf' {
        New-AmsRoleAuthorizationRule -Name 'x' -GroupName 'g' -MaximumAccessDuration ([timespan]'1:00:00') -PrincipalsAllowedJit 'S-1-1-0' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'sends the approval settings' {
        $null = New-AmsRoleAuthorizationRule -Name 'Admins' -PrincipalsAllowedJit 'S-1-5-21-1-2-3-1104' -GroupName 'CORP\Admins' -MaximumAccessDuration ([timespan]::FromHours(2)) -ApprovalRequired -Approvers 'S-1-5-21-1-2-3-1105' -Confirm:$false
        (Get-AmsStubCall).Argv -join '|' | Should -BeLike '*|--approval-required|true|--approvers|S-1-5-21-1-2-3-1105*'
    }

}
