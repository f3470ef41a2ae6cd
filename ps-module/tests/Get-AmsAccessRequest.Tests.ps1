#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsAccessRequest, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsAccessRequest' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'lists requests with no filter' {
        $result = @(Get-AmsAccessRequest)
        (Get-AmsStubCall).Line | Should -BeExactly 'access requests get'
        $result.Count | Should -Be 1
        $result[0].PSTypeNames[0] | Should -BeExactly 'Ams.AccessRequest'
    }

    It 'passes the filters' {
        $null = Get-AmsAccessRequest -State Pending -RequesterSid 'S-1-5-21-1-2-3-1104' -ComputerName 'PC1'
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'access|requests|get|--state|Pending|--requester-sid|S-1-5-21-1-2-3-1104|--computer-name|PC1'
    }

    It 'refuses an unknown state before running ams' {
        { Get-AmsAccessRequest -State 'Sleeping' } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'has a table view' {
        $view = Get-FormatData -TypeName 'Ams.AccessRequest'
        $view | Should -Not -BeNullOrEmpty
    }
}
