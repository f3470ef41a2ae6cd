#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsActiveDirectoryJitGroupCreationRule, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsActiveDirectoryJitGroupCreationRule' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes -Id from the pipeline' {
        (Get-AmsParameterSet Set-AmsActiveDirectoryJitGroupCreationRule Id).ValueFromPipelineByPropertyName | Should -BeTrue
        (Get-Command -Name Set-AmsActiveDirectoryJitGroupCreationRule).Parameters['ForceFullSync'].SwitchParameter | Should -BeTrue
    }

    It 'passes the id first, then the changes' {
        $null = Set-AmsActiveDirectoryJitGroupCreationRule -Id 'r-1' -Subtree $false -GroupType Global -ForceFullSync
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'active-directory-jit-group-creation-rule|set|--id|r-1|--subtree|false|--group-type|Global|--force-full-sync'
    }

    It 'does not run ams under -WhatIf' {
        Set-AmsActiveDirectoryJitGroupCreationRule -Id 'r-1' -Subtree $true -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
