#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsRoleAuthorizationRule, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsRoleAuthorizationRule' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes -Id by position and from the pipeline' {
        (Get-AmsParameterSet Set-AmsRoleAuthorizationRule Id).ValueFromPipelineByPropertyName | Should -BeTrue
        (Get-AmsParameterSet Set-AmsRoleAuthorizationRule Id).Position | Should -Be 0
    }

    It 'sends booleans as the words true and false' {
        $null = Set-AmsRoleAuthorizationRule -Id 'r-1' -Enabled:$false -AllowExtension $true
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'role-authorization-rule|set|--id|r-1|--allow-extension|true|--enabled|false'
    }

    It 'does not run ams under -WhatIf' {
        Set-AmsRoleAuthorizationRule -Id 'r-1' -Name 'x' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'changes the approval settings' {
        $null = Set-AmsRoleAuthorizationRule -Id 'r-1' -ApprovalRequired -AddApprovers 'S-1-5-21-1-2-3-1105' -ApprovalAccessWindow ([timespan]::FromMinutes(10)) -Confirm:$false
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'role-authorization-rule|set|--id|r-1|--approval-required|true|--add-approvers|S-1-5-21-1-2-3-1105|--approval-access-window|00:10:00'
    }

}
